export type { Batch } from './batch.js';
export type { BatchOptions, ResolvedBatchOptions } from './batch-options.js';
export { resolveBatchOptions } from './batch-options.js';
export { createBatchStep, batchStage } from './batch-step.js';
