export { uploadBatches, UploadSink } from './upload-sink.js';
export { resolveUploadOptions, DEFAULT_UPLOAD_CONCURRENCY } from './upload-options.js';
export type { UploadOptions, ResolvedUploadOptions } from './upload-options.js';
export { PriorityBudget } from './priority-budget.js';
export type { BudgetLane, PriorityBudgetOptions } from './priority-budget.js';
export { BatchRowIndex } from './batch-row-index.js';
export type { IndexedRow } from './batch-row-index.js';
export type { BatchProgress, SubmitState, StatusSummary, ErrorSummary } from './batch-progress.js';
export type {
  UploadEvents,
  UploadEmitter,
  BatchSubmittingEvent,
  BatchAcceptedEvent,
  BatchFailedEvent,
  RetryScheduledEvent,
  RateLimitedEvent,
  BatchStatusEvent,
} from './upload-events.js';
export { sampleBatch, valueDigest, idRank } from './sent-sample.js';
