/**
 * Polls accepted batches until Target says `complete` or `stuck`, forgets them (`unknown`), or a deadline
 * passes. Each batch backs off on its own (initialDelayMs, ×factor, up to maxDelayMs); every poll first takes
 * a slot from the poll lane of the shared budget (see PriorityBudget: submissions go first), and a poll that
 * fails on a transient error is retried like a submission. A state change is journaled; 401/403 stops the run.
 */
import { EventEmitter } from 'node:events';
import { classify, isBulkpipeError, sleep, systemClock, systemTimers, withRetry, ErrorCode } from '@bulkpipe/core';
import type { BatchStatus, CallBudget, Clock, JournalWriter, Random, TargetClient, Timers } from '@bulkpipe/core';
import { errorSummary } from '../upload/batch-progress.js';
import type { StatusSummary } from '../upload/batch-progress.js';
import type { UploadEmitter, UploadEvents } from '../upload/upload-events.js';
import { resolveStatusPollOptions } from './status-options.js';
import type { ResolvedStatusPollOptions, StatusPollOptions } from './status-options.js';

export interface TrackedBatch {
  readonly seq: number;
  /** Exactly as Target returned it. */
  readonly statusUrl: string;
  /** The last status journaled for it (a resumed run), so an unchanged answer is not journaled again. */
  readonly last?: StatusSummary;
}

export interface StatusTrackerOptions extends StatusPollOptions {
  client: TargetClient;
  /** Each poll acquires here first (the poll lane of a PriorityBudget). @default none: the client's own pacing */
  budget?: CallBudget;
  /** Status records are appended here (the batch must be journaled as accepted). @default none */
  journal?: JournalWriter;
  events?: UploadEmitter;
  signal?: AbortSignal;
  clock?: Clock;
  timers?: Timers;
  random?: Random;
  /** Called once with the first fatal error (401/403, journal unwritable): the caller stops the rest of the run. */
  onFatal?: (error: unknown) => void;
  /** Called with every status seen (final or not). */
  onStatus?: (seq: number, status: StatusSummary) => void;
}

const FINAL_STATES = new Set(['complete', 'stuck', 'unknown']);

export class StatusTracker {
  readonly events: UploadEmitter;
  readonly resolved: ResolvedStatusPollOptions;
  private readonly options: StatusTrackerOptions;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly controller = new AbortController();
  private readonly results = new Map<number, StatusSummary>();
  private readonly loops = new Set<Promise<void>>();
  private readonly unlink: () => void;
  private pollsInFlight = 0;
  private pollWaiters: Array<() => void> = [];
  private fatal: unknown;

  constructor(options: StatusTrackerOptions) {
    this.resolved = resolveStatusPollOptions(options);
    this.options = options;
    this.events = options.events ?? new EventEmitter<UploadEvents>();
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    const outer = options.signal;
    const onAbort = (): void => this.controller.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => outer?.removeEventListener('abort', onAbort);
  }

  /** Starts polling a batch (once per seq). */
  track(batch: TrackedBatch): void {
    if (this.results.has(batch.seq) || this.fatal !== undefined) return;
    if (batch.last !== undefined) this.results.set(batch.seq, batch.last);
    const loop = this.poll(batch).catch((error: unknown) => this.stop(error));
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  /** The latest status of every tracked batch. */
  statuses(): ReadonlyMap<number, StatusSummary> {
    return this.results;
  }

  /** Resolves when every tracked batch is final (tracks added meanwhile included); rejects on a fatal error. */
  async finish(): Promise<ReadonlyMap<number, StatusSummary>> {
    try {
      while (this.loops.size > 0) await Promise.allSettled([...this.loops]);
      if (this.fatal !== undefined) throw this.fatal;
      return this.results;
    } finally {
      this.unlink();
    }
  }

  /** Stops polling (the run is stopping). */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private stop(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    this.abort(error);
    this.options.onFatal?.(error);
  }

  private async poll(batch: TrackedBatch): Promise<void> {
    const signal = this.controller.signal;
    const { initialDelayMs, maxDelayMs, factor, deadlineMs } = this.resolved;
    const deadline = this.clock.now() + deadlineMs;
    let last = batch.last;
    let delayMs = initialDelayMs;
    for (let polls = 1; ; polls++) {
      await sleep(delayMs, signal, this.timers);
      let status: BatchStatus;
      try {
        status = await this.fetch(batch, signal);
      } catch (error) {
        if (signal.aborted || classify(error) === 'fatal-config' || isBulkpipeError(error, ErrorCode.JOURNAL_UNWRITABLE)) throw error;
        // This batch's status cannot be read now (retries exhausted, a bad answer): report the last state seen.
        const summary: StatusSummary = { state: last?.state ?? 'unknown', counts: last?.counts ?? {}, failedIds: last?.failedIds ?? [], polls, timedOut: false, error: errorSummary(error) };
        this.record(batch.seq, summary, true);
        return;
      }
      delayMs = Math.min(maxDelayMs, Math.max(delayMs, 1) * factor);
      const final = FINAL_STATES.has(status.state);
      const timedOut = !final && this.clock.now() + delayMs > deadline;
      const summary: StatusSummary = { state: status.state, counts: status.counts, failedIds: status.failedIds, polls, timedOut };
      if (changed(last, summary)) await this.options.journal?.append({ type: 'status', seq: batch.seq, status: status.state, counts: status.counts, failedIds: status.failedIds });
      last = summary;
      this.record(batch.seq, summary, final || timedOut);
      if (final || timedOut) return;
    }
  }

  private async fetch(batch: TrackedBatch, signal: AbortSignal): Promise<BatchStatus> {
    const { client, budget } = this.options;
    return withRetry(
      async () => {
        await this.pollSlot(signal);
        try {
          await budget?.acquire(signal);
          return await client.getBatchStatus(batch.statusUrl, { signal });
        } finally {
          this.releasePollSlot();
        }
      },
      this.resolved.retry,
      {
        signal,
        clock: this.clock,
        timers: this.timers,
        ...(this.options.random ? { random: this.options.random } : {}),
        onRetry: ({ attempt, delayMs, error, retryAfter }) => {
          const { code, statusCode } = errorSummary(error);
          this.notify('retry-scheduled', { seq: batch.seq, operation: 'poll', attempt, delayMs, code, retryAfter, ...(statusCode === undefined ? {} : { statusCode }) });
        },
      },
    );
  }

  private record(seq: number, summary: StatusSummary, final: boolean): void {
    this.results.set(seq, summary);
    this.options.onStatus?.(seq, summary);
    this.notify('batch-status', { seq, state: summary.state, counts: summary.counts, failedIds: summary.failedIds.length, polls: summary.polls, final });
  }

  private async pollSlot(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    while (this.pollsInFlight >= this.resolved.concurrency) {
      await new Promise<void>((resolve) => this.pollWaiters.push(resolve));
      if (signal.aborted) {
        // Pass the wake-up on, or the next waiter would never hear of the abort.
        this.pollWaiters.shift()?.();
        throw signal.reason;
      }
    }
    this.pollsInFlight++;
  }

  private releasePollSlot(): void {
    this.pollsInFlight--;
    this.pollWaiters.shift()?.();
  }

  private notify<K extends keyof UploadEvents>(name: K, ...args: UploadEvents[K]): void {
    (this.events.emit as (name: K, ...args: UploadEvents[K]) => boolean)(name, ...args);
  }
}

function changed(before: StatusSummary | undefined, after: StatusSummary): boolean {
  if (before === undefined) return true;
  return before.state !== after.state || JSON.stringify(before.counts) !== JSON.stringify(after.counts) || before.failedIds.length !== after.failedIds.length;
}
