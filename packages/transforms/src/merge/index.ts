export type { MergeOptions, MergePolicy, ResolvedMergeOptions } from './merge-options.js';
export { MERGE_POLICIES, DEFAULT_MERGE_MEMORY_BYTES, resolveMergeOptions } from './merge-options.js';
export type { MergeStep, MergeStageOptions } from './merge-step.js';
export { createMergeStep, mergeStage } from './merge-step.js';
