/**
 * Progress of an upload, as typed events on an emitter of its own (the run context's emitter carries the
 * row-level events). Payloads never hold the token or a body: they are safe to print and to send as NDJSON.
 */
import type { EventEmitter } from 'node:events';
import type { BatchState, BatchStatusCounts } from '@bulkpipe/core';
import type { BudgetLane } from './priority-budget.js';

export interface BatchSubmittingEvent {
  readonly seq: number;
  /** 1-based attempt of this run. */
  readonly attempt: number;
  readonly rows: number;
  readonly bytes: number;
}

export interface BatchAcceptedEvent {
  readonly seq: number;
  readonly batchId?: string;
  readonly statusUrl: string;
  /** Attempts this run took (0 when a resumed run found it accepted in the journal). */
  readonly attempts: number;
  /** True when the journal said Target had already accepted it: not sent again. */
  readonly resumed: boolean;
}

export interface BatchFailedEvent {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
  readonly statusCode?: number;
}

export interface RetryScheduledEvent {
  /** The batch (a poll of a bare status URL numbers it by its position). */
  readonly seq: number;
  readonly operation: 'submit' | 'poll';
  /** The attempt that failed. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly code: string;
  readonly statusCode?: number;
  /** True when the server's Retry-After set the delay. */
  readonly retryAfter: boolean;
}

export interface RateLimitedEvent {
  readonly lane: BudgetLane;
  /** The limiter's estimate of the wait. */
  readonly expectedWaitMs: number;
}

export interface BatchStatusEvent {
  readonly seq: number;
  readonly state: BatchState;
  readonly counts: BatchStatusCounts;
  readonly failedIds: number;
  /** Polls of this batch so far. */
  readonly polls: number;
  /** True when this state ends the tracking of the batch (complete, stuck, unknown, or the deadline passed). */
  readonly final: boolean;
}

export interface UploadEvents {
  'batch-submitting': [BatchSubmittingEvent];
  'batch-accepted': [BatchAcceptedEvent];
  'batch-failed': [BatchFailedEvent];
  'retry-scheduled': [RetryScheduledEvent];
  'rate-limited': [RateLimitedEvent];
  'batch-status': [BatchStatusEvent];
}

export type UploadEmitter = EventEmitter<UploadEvents>;
