export { runBatchPipeline, discardBatches } from './batch-pipeline.js';
export type { BatchPipelineOptions } from './batch-pipeline.js';
export { runUpload, batchShapingConfig } from './upload-run.js';
export type { UploadRunOptions, UploadReport, BatchReport, BatchReportState, UploadTotals } from './upload-run.js';
