/**
 * The upload sink: an object-mode Writable taking `Batch[]` chunks that submits each batch to Target.
 *
 * - **Bounded concurrency with backpressure**: at most `concurrency` batches in flight; the write callback
 *   waits for a free slot, so with `highWaterMark: 1` at most one more chunk waits — memory holds a bounded
 *   number of bodies whatever the input's size.
 * - **Replayable bodies**: a batch's body is built once by the batcher; every retry sends the same Buffer.
 * - **Journal before acting**: `batch-built` before the first attempt, `submitting` right before each POST,
 *   `submitted` / `submit-failed` after each answer (the journal writer fsyncs each record).
 * - **Failures**: `success=false`, other 4xx, or retries exhausted fail that batch (reported, the run goes
 *   on); 401/403 (the token), a journal that cannot be written, or a resume mismatch stop the whole run at
 *   once, aborting the calls in flight.
 * - **Graceful stop**: when the run is aborted (SIGINT), no new batch, retry or wait starts, but a call already on
 *   the wire may finish (for `graceMs`) so that its answer is journaled and a resumed run need not send it again.
 *   `forceSignal` (a second SIGINT) or the grace period's end cuts it: its batch stays in doubt.
 * - **Resume**: a batch the journal shows accepted, with the same SHA-256, is not sent again; a different
 *   SHA-256 means the input or configuration changed: RESUME_MISMATCH.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { BulkpipeError, ErrorCode, checkBatchDigest, classify, isBulkpipeError, withRetry } from '@bulkpipe/core';
import type { BatchJournalState, BatchSubmission, JournalReplay } from '@bulkpipe/core';
import type { Batch } from '../batch/index.js';
import { releaseBatch } from '../batch/byte-batcher.js';
import type { RunContext } from '../run-context.js';
import { errorSummary, progressOf } from './batch-progress.js';
import { sampleBatch } from './sent-sample.js';
import type { BatchProgress } from './batch-progress.js';
import { resolveUploadOptions } from './upload-options.js';
import type { ResolvedUploadOptions, UploadOptions } from './upload-options.js';
import type { UploadEmitter, UploadEvents } from './upload-events.js';

export class UploadSink extends Writable {
  readonly events: UploadEmitter;
  readonly resolved: ResolvedUploadOptions;
  private readonly options: UploadOptions;
  private readonly replay: JournalReplay | undefined;
  private readonly progress = new Map<number, BatchProgress>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborts the HTTP calls themselves: a fatal error, the end of the grace period, or `forceSignal`. */
  private readonly controller = new AbortController();
  /** Stops everything that has not reached the wire: new batches, retries, waits. */
  private readonly stopSignal: AbortSignal;
  private readonly runSignal: AbortSignal;
  private readonly unlink: () => void;
  private graceTimer: NodeJS.Timeout | undefined;
  private slotWaiters: Array<() => void> = [];
  private fatal: unknown;

  constructor(options: UploadOptions, ctx: RunContext) {
    super({ objectMode: true, highWaterMark: 1 });
    this.resolved = resolveUploadOptions(options);
    this.options = options;
    this.replay = options.replay;
    this.events = options.events ?? new EventEmitter<UploadEvents>();
    this.runSignal = ctx.signal;
    this.stopSignal = AbortSignal.any([ctx.signal, this.controller.signal]);
    // The run's signal stops new work at once and cuts the calls in flight after the grace period.
    const onAbort = (): void => {
      this.graceTimer = setTimeout(() => this.controller.abort(ctx.signal.reason), this.resolved.graceMs);
      this.graceTimer.unref();
    };
    const onForce = (): void => this.controller.abort(options.forceSignal?.reason ?? ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (options.forceSignal?.aborted) onForce();
    else options.forceSignal?.addEventListener('abort', onForce, { once: true });
    this.unlink = () => {
      ctx.signal.removeEventListener('abort', onAbort);
      options.forceSignal?.removeEventListener('abort', onForce);
      clearTimeout(this.graceTimer);
    };
  }

  /** The signal every submission runs under (aborted by the run or by a fatal error). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Every batch seen so far, in seq order. */
  batches(): BatchProgress[] {
    return [...this.progress.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Resolves when no submission is in flight any more (also after an error). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  override _write(chunk: Batch[] | Batch, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.admit(Array.isArray(chunk) ? chunk : [chunk]).then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.settled()
      .then(() => {
        if (this.fatal !== undefined) throw this.fatal;
        this.checkNothingMissing();
      })
      .then(() => callback(), (error: Error) => callback(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The run's own signal, not `stopSignal`: a pipeline may destroy this sink from its abort listener before
    // AbortSignal.any() has propagated the abort to the signals that depend on it.
    if (error && !this.runSignal.aborted) {
      // A pipeline error (not a stop): cut the submissions in flight.
      this.controller.abort(error);
    }
    // Let calls still on the wire journal their answers (bounded by the grace period) before the run ends.
    this.settled().then(
      () => {
        this.unlink();
        callback(error);
      },
      () => {
        this.unlink();
        callback(error);
      },
    );
  }

  private async admit(batches: Batch[]): Promise<void> {
    for (const batch of batches) {
      while (this.inFlight.size >= this.resolved.concurrency && this.fatal === undefined && !this.stopSignal.aborted) {
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            this.stopSignal.removeEventListener('abort', wake);
            resolve();
          };
          this.slotWaiters.push(wake);
          this.stopSignal.addEventListener('abort', wake, { once: true });
        });
      }
      if (this.fatal !== undefined) throw this.fatal;
      if (this.stopSignal.aborted) throw this.stopSignal.reason;
      const task = this.process(batch).then(
        () => {
          if (this.options.releaseBodies === true) releaseBatch(batch);
        },
        (error: unknown) => this.stop(error),
      );
      this.inFlight.add(task);
      void task.finally(() => {
        this.inFlight.delete(task);
        const waiters = this.slotWaiters;
        this.slotWaiters = [];
        for (const wake of waiters) wake();
      });
    }
  }

  /** A fatal error: remember the first, abort every call in flight, and let waiting writes fail. */
  private stop(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    if (!this.controller.signal.aborted) this.controller.abort(error);
    // Fail the pipeline now rather than at the next write: the upstream stages may be busy for a while.
    this.destroy(error instanceof Error ? error : new Error(String(error)));
  }

  private async process(batch: Batch): Promise<void> {
    const entry = progressOf(batch);
    if (this.progress.has(batch.seq)) throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Batch ${batch.seq} reached the upload twice; batch numbers must be unique`, { batchSeq: batch.seq });
    this.progress.set(batch.seq, entry);
    const prior = this.replay?.batches.get(batch.seq);
    if (this.replay !== undefined) checkBatchDigest(this.replay, batch.seq, batch.sha256);
    // The row index is read only once the run is over (failed.csv), so it is written while the batch goes out:
    // awaited first, a 270,000-row batch's index held back its submission by 0.5–1.3 s.
    const indexed = this.options.rowIndex?.add(batch);
    try {
      await this.submit(batch, entry, prior);
    } catch (error) {
      await indexed?.catch(() => undefined);
      throw error;
    }
    await indexed;
  }

  /** Everything of `process` after the checks: the journal, the submission with its retries, the outcome. */
  private async submit(batch: Batch, entry: BatchProgress, prior: BatchJournalState | undefined): Promise<void> {
    const { journal } = this.options;
    if (prior?.statusUrl !== undefined) {
      entry.submit = 'accepted';
      entry.resumed = true;
      entry.statusUrl = prior.statusUrl;
      if (prior.batchId !== undefined) entry.batchId = prior.batchId;
      const last = prior.lastStatus;
      if (last !== undefined) entry.status = { state: last.status, counts: last.counts, failedIds: last.failedIds, polls: 0, timedOut: false };
      this.notify('batch-accepted', { seq: batch.seq, statusUrl: prior.statusUrl, attempts: 0, resumed: true, ...(prior.batchId === undefined ? {} : { batchId: prior.batchId }) });
      this.options.onAccepted?.(entry);
      return;
    }
    if (this.resolved.dryRun) {
      entry.submit = 'planned';
      return;
    }

    if (prior?.built === undefined) {
      const sample = journal && this.resolved.samplePerBatch > 0 ? sampleBatch(batch, this.resolved.idType, this.resolved.samplePerBatch) : [];
      await journal?.append({
        type: 'batch-built',
        seq: batch.seq,
        sha256: batch.sha256,
        rows: batch.rows,
        bytes: batch.bytes,
        firstLine: entry.firstLine,
        lastLine: entry.lastLine,
        ...(sample.length > 0 ? { sample } : {}),
      });
    }
    const client = this.options.client!;
    const signal = this.controller.signal;
    let submission: BatchSubmission;
    try {
      submission = await withRetry(
        async ({ attempt }) => {
          entry.attempts = attempt;
          await journal?.append({ type: 'submitting', seq: batch.seq, attempt });
          this.notify('batch-submitting', { seq: batch.seq, attempt, rows: batch.rows, bytes: batch.bytes });
          try {
            return await client.submitBatch({ body: batch.body, apiVersion: this.resolved.apiVersion, signal });
          } catch (error) {
            // No record for an abort: the batch stays in doubt and a resumed run sends it again.
            if (!signal.aborted) {
              const summary = errorSummary(error);
              await journal?.append({ type: 'submit-failed', seq: batch.seq, ...summary });
            }
            throw error;
          }
        },
        this.resolved.retry,
        {
          signal: this.stopSignal,
          ...(this.options.clock ? { clock: this.options.clock } : {}),
          ...(this.options.timers ? { timers: this.options.timers } : {}),
          ...(this.options.random ? { random: this.options.random } : {}),
          onRetry: ({ attempt, delayMs, error, retryAfter }) => {
            const { code, statusCode } = errorSummary(error);
            this.notify('retry-scheduled', { seq: batch.seq, operation: 'submit', attempt, delayMs, code, retryAfter, ...(statusCode === undefined ? {} : { statusCode }) });
          },
        },
      );
    } catch (error) {
      if (isFatal(error, this.stopSignal)) throw error;
      entry.submit = 'failed';
      entry.error = errorSummary(error);
      this.notify('batch-failed', { seq: batch.seq, ...entry.error });
      return;
    }
    await journal?.append({ type: 'submitted', seq: batch.seq, statusUrl: submission.statusUrl, ...(submission.batchId === undefined ? {} : { batchId: submission.batchId }) });
    entry.submit = 'accepted';
    entry.statusUrl = submission.statusUrl;
    if (submission.batchId !== undefined) entry.batchId = submission.batchId;
    this.notify('batch-accepted', { seq: batch.seq, statusUrl: submission.statusUrl, attempts: entry.attempts, resumed: false, ...(submission.batchId === undefined ? {} : { batchId: submission.batchId }) });
    this.options.onAccepted?.(entry);
  }

  /** A resumed run must rebuild every batch the journal knows: fewer batches means the input changed. */
  private checkNothingMissing(): void {
    if (this.replay === undefined) return;
    const missing = [...this.replay.batches.keys()].filter((seq) => !this.progress.has(seq));
    if (missing.length === 0) return;
    throw new BulkpipeError(
      ErrorCode.RESUME_MISMATCH,
      `Cannot resume: the journal has batch${missing.length === 1 ? '' : 'es'} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''} that this run did not rebuild, so the input or configuration changed.`,
      { batchSeq: missing[0] as number },
    );
  }

  // EventEmitter<UploadEvents> lives on `events`; Writable's own `emit` stays the stream's.
  private notify<K extends keyof UploadEvents>(name: K, ...args: UploadEvents[K]): void {
    (this.events.emit as (name: K, ...args: UploadEvents[K]) => boolean)(name, ...args);
  }
}

/** Errors that stop the whole run rather than fail one batch. */
function isFatal(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  if (classify(error) === 'fatal-config') return true;
  return isBulkpipeError(error, ErrorCode.JOURNAL_UNWRITABLE) || isBulkpipeError(error, ErrorCode.RESUME_MISMATCH);
}

/** The upload sink for `runBatchPipeline(options, ctx, uploadBatches(…))` or any pipeline of `Batch[]` chunks. */
export function uploadBatches(options: UploadOptions, ctx: RunContext): UploadSink {
  return new UploadSink(options, ctx);
}
