export type { Batch } from './batch.js';
export type { BatchOptions, ResolvedBatchOptions } from './batch-options.js';
export { resolveBatchOptions } from './batch-options.js';
export { createBatchStep, batchStage } from './batch-step.js';
export { rowCursor } from './batch-rows.js';
export type { BatchRowCursor } from './batch-rows.js';
export { releaseBatch } from './byte-batcher.js';
