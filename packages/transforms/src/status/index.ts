export { StatusTracker } from './status-tracker.js';
export type { StatusTrackerOptions, TrackedBatch } from './status-tracker.js';
export { resolveStatusPollOptions, STATUS_POLL_DEFAULTS } from './status-options.js';
export type { StatusPollOptions, ResolvedStatusPollOptions } from './status-options.js';
export { reconcileBatch } from './reconcile.js';
export type { Reconciliation } from './reconcile.js';
export { FailedCsvWriter, FAILED_COLUMNS } from './failed-csv-writer.js';
export type { FailedLine } from './failed-csv-writer.js';
export { writeFailedLines, failedSelection } from './failed-lines.js';
