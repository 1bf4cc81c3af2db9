/** What the upload knows about one batch, from the moment it is built to its last status. */
import type { BatchState, BatchStatusCounts, RowOrigin } from '@bulkpipe/core';
import type { Batch } from '../batch/index.js';
import { edgeSources } from '../batch/batch-rows.js';

/**
 * - `planned`: a dry run built it; nothing was sent.
 * - `sending`: being submitted (or waiting for a slot).
 * - `accepted`: Target answered `success=true` (now, or in an earlier run per the journal).
 * - `failed`: Target refused it (`success=false`, a 4xx) or every retry failed; the run went on.
 */
export type SubmitState = 'planned' | 'sending' | 'accepted' | 'failed';

export interface ErrorSummary {
  readonly code: string;
  readonly message: string;
  readonly statusCode?: number;
}

export interface StatusSummary {
  readonly state: BatchState;
  readonly counts: BatchStatusCounts;
  readonly failedIds: readonly string[];
  /** Polls made by this process. */
  readonly polls: number;
  /** Tracking stopped at the deadline while Target still said `incomplete`. */
  readonly timedOut: boolean;
  /** The last poll failed for good (retries exhausted); the state is the last one seen. */
  readonly error?: ErrorSummary;
}

/** Which batch, as the journal, the upload's progress and its report name it. */
export interface BatchIdentity {
  readonly seq: number;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly firstLine: RowOrigin;
  readonly lastLine: RowOrigin;
}

export interface BatchProgress extends BatchIdentity {
  submit: SubmitState;
  /** The journal said Target had accepted it already: not sent again by this run. */
  resumed: boolean;
  /** Submission attempts by this run. */
  attempts: number;
  batchId?: string;
  statusUrl?: string;
  error?: ErrorSummary;
  status?: StatusSummary;
}

export function progressOf(batch: Batch): BatchProgress {
  const { first: firstSource, last: lastSource } = edgeSources(batch);
  return {
    seq: batch.seq,
    rows: batch.rows,
    bytes: batch.bytes,
    sha256: batch.sha256,
    firstLine: { source: firstSource, line: batch.firstLine },
    lastLine: { source: lastSource, line: batch.lastLine },
    submit: 'sending',
    resumed: false,
    attempts: 0,
  };
}

export function errorSummary(error: unknown): ErrorSummary {
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const statusCode = (error as { context?: { statusCode?: unknown } } | null)?.context?.statusCode;
  return typeof statusCode === 'number' ? { code, message, statusCode } : { code, message };
}
