/**
 * Compares what Target says it did with what was sent. Target's counts are the only evidence that a batch was
 * applied as a whole; a difference is reported, never silently accepted.
 */
import type { ApiVersion, BatchStatusCounts } from '@bulkpipe/core';
import type { StatusSummary } from '../upload/batch-progress.js';

export interface Reconciliation {
  /** Rows Target reports failed (failedUpdates, or the listed failed ids when it gave no count). */
  readonly failed: number;
  /** v1: ids Target did not know (v1 never creates profiles). */
  readonly notFound: number;
  readonly successful: number | undefined;
  /** Human-readable differences between Target's counts and what was sent; empty when they agree. */
  readonly discrepancies: readonly string[];
}

export function reconcileBatch(sentRows: number, status: StatusSummary, apiVersion: ApiVersion): Reconciliation {
  const counts: BatchStatusCounts = status.counts;
  const discrepancies: string[] = [];
  const failed = counts.failedUpdates ?? status.failedIds.length;
  const notFound = counts.profilesNotFound ?? 0;
  if (counts.batchSize !== undefined && counts.batchSize !== sentRows) {
    discrepancies.push(`Target counted ${counts.batchSize} rows, ${sentRows} were sent`);
  }
  if (status.state === 'complete') {
    const size = counts.batchSize ?? sentRows;
    if (counts.consumedCount !== undefined && counts.consumedCount !== size) discrepancies.push(`Target consumed ${counts.consumedCount} of ${size} rows`);
    if (counts.successfulUpdates !== undefined && counts.successfulUpdates + failed + notFound !== size) {
      discrepancies.push(`successful ${counts.successfulUpdates} + failed ${failed} + not found ${notFound} ≠ ${size} rows`);
    }
  }
  if (apiVersion === 'v2' && counts.failedUpdates !== undefined && status.failedIds.length > 0 && status.failedIds.length !== counts.failedUpdates) {
    discrepancies.push(`Target reports ${counts.failedUpdates} failed rows but lists ${status.failedIds.length} ids`);
  }
  return { failed, notFound, successful: counts.successfulUpdates, discrepancies };
}
