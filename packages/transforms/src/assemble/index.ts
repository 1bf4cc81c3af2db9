export { runBatchPipeline, discardBatches } from './batch-pipeline.js';
export type { BatchPipelineOptions } from './batch-pipeline.js';
