/**
 * `bulkpipe run` as a function: the standard batch pipeline into the upload sink, status tracking alongside
 * (a batch is polled as soon as Target accepted it: Target keeps few statuses for long), then failed.csv and
 * a report. With a journal it is crash-safe and resumable: the same input and configuration recompute the
 * same batches, those Target accepted are not sent again, the rest are.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { access } from 'node:fs/promises';
import {
  BulkpipeError,
  ErrorCode,
  JournalWriter,
  TargetClient,
  checkResume,
  configurationHash,
  fingerprintInput,
  invalidOption,
  readStartedJournal,
} from '@bulkpipe/core';
import type { ApiVersion, Clock, InputFingerprint, JournalReplay, Random, RetryPolicyOptions, RunOutcome, TargetClientOptions, Timers } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ParseInput } from '../parse/index.js';
import { runBatchPipeline } from './batch-pipeline.js';
import type { BatchPipelineOptions } from './batch-pipeline.js';
import { BatchRowIndex } from '../upload/batch-row-index.js';
import { PriorityBudget } from '../upload/priority-budget.js';
import { UploadSink } from '../upload/upload-sink.js';
import type { BatchIdentity, BatchProgress, ErrorSummary } from '../upload/batch-progress.js';
import type { UploadEmitter, UploadEvents } from '../upload/upload-events.js';
import { StatusTracker } from '../status/status-tracker.js';
import type { StatusPollOptions } from '../status/status-options.js';
import { reconcileBatch } from '../status/reconcile.js';
import { writeFailedLines } from '../status/failed-lines.js';
import { createAccountLimiter } from '../upload/account-limiter.js';

export interface UploadRunOptions extends BatchPipelineOptions {
  /** Target client code. */
  client: string;
  /** @default 'v2' */
  apiVersion?: ApiVersion;
  /** @default `https://{client}.tt.omtrdc.net` */
  baseUrl?: string;
  /** Profile API token, in memory only: never journaled, logged or reported. @default none */
  token?: string;
  /** The run journal; when the file exists the run resumes it. @default none (not resumable) */
  journalPath?: string;
  /** Batches submitted at the same time. @default 2 */
  concurrency?: number;
  /** The account's call budget (lower it when several workers share an account). @default 50 */
  callsPerMinute?: number;
  /** The budget's rolling window (tests shorten it). @default 60000 */
  rateWindowMs?: number;
  /** Whether status polls take from the budget (nothing public says whether Target counts them). @default true */
  rateLimitStatusPolls?: boolean;
  /** Share of the window's calls reserved for status polls while submissions wait. @default 0.1 */
  reservedPollShare?: number;
  /** Poll statuses until complete/stuck or the deadline; false returns once every batch was submitted. @default true */
  wait?: boolean;
  /** Stop polling a batch this long after it was accepted. @default 3600000 */
  statusDeadlineMs?: number;
  /** Poll pacing (initial delay, backoff, concurrency). */
  status?: Omit<StatusPollOptions, 'deadlineMs'>;
  /** Retry policy of submissions. @default RETRY_DEFAULTS */
  retry?: RetryPolicyOptions;
  /** Build the batches, send nothing, return the plan. @default false */
  dryRun?: boolean;
  /** After an abort, how long calls already on the wire may finish so their answers are journaled. @default 30000 */
  graceMs?: number;
  /** Cuts the calls in flight at once (a second SIGINT). */
  forceSignal?: AbortSignal;
  /** Rows per batch recorded in the journal (values hashed) for `verifySample`. @default 20 */
  samplePerBatch?: number;
  /** Where failed rows are listed, mapped back to input lines. @default none */
  failedCsvPath?: string;
  /** Progress events. @default a new emitter (see `UploadReport`) */
  events?: UploadEmitter;
  /** HTTP client settings (timeouts, connections, a dispatcher). */
  http?: Omit<TargetClientOptions, 'client' | 'baseUrl' | 'token' | 'rateLimiter' | 'rateLimitStatusPolls'>;
  /** Directory of the temporary row index (ids → input lines). @default the system temp directory */
  workDir?: string;
  /** fsync every journal record. @default true */
  journalFsync?: boolean;
  /** Time and randomness of every wait (tests). @default the system's */
  clock?: Clock;
  timers?: Timers;
  random?: Random;
}

export type BatchReportState = 'planned' | 'failed' | 'accepted' | 'complete' | 'incomplete' | 'stuck' | 'unknown';

export interface BatchReport extends BatchIdentity {
  readonly batchId?: string;
  readonly statusUrl?: string;
  /** `accepted`: submitted, status not (yet) known; `incomplete`: still processing at the deadline. */
  readonly state: BatchReportState;
  /** Not sent by this run: the journal said Target had accepted it. */
  readonly resumed: boolean;
  readonly attempts: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly failedRows: number;
  readonly failedIds: number;
  readonly discrepancies: readonly string[];
  readonly timedOut: boolean;
  readonly error?: ErrorSummary;
}

export interface UploadTotals {
  batches: number;
  rows: number;
  bytes: number;
  /** Batches sent by this run and accepted. */
  accepted: number;
  /** Batches the journal showed accepted: not sent again. */
  resumed: number;
  failed: number;
  complete: number;
  incomplete: number;
  stuck: number;
  unknown: number;
  /** Rows Target reported failed (sum of failedUpdates). */
  failedRows: number;
  /** v1 rows whose id Target did not know. */
  profilesNotFound: number;
  /** Lines written to failed.csv. */
  failedLines: number;
}

export interface UploadReport {
  /**
   * `complete`: every batch complete without failed rows; `submitted`: every batch accepted, some statuses not
   * final (no-wait, deadline, unknown); `failed`: some batch failed, went stuck or has failed rows; `dry-run`.
   */
  readonly outcome: 'complete' | 'submitted' | 'failed' | 'dry-run';
  readonly apiVersion: ApiVersion;
  readonly resumed: boolean;
  readonly journalPath?: string;
  readonly failedCsvPath?: string;
  readonly configHash: string;
  readonly batches: readonly BatchReport[];
  readonly totals: Readonly<UploadTotals>;
  /** The books: read = rejected + merged + sent. */
  readonly accounting: Readonly<{ read: number; rejected: number; merged: number; sent: number; booksBalance: boolean }>;
}

/** What shapes the batches (hashed into the journal; never the token, the endpoint or the pacing). */
export function batchShapingConfig(options: UploadRunOptions): Record<string, unknown> {
  return {
    client: options.client,
    apiVersion: options.apiVersion ?? 'v2',
    idColumn: options.idColumn,
    idType: options.idType ?? 'thirdPartyId',
    mapping: options.mapping,
    valuePolicy: options.valuePolicy,
    merge: { policy: options.merge?.policy },
    batch: { maxBytes: options.batch?.maxBytes, maxRows: options.batch?.maxRows },
    parse: { delimiter: options.parse?.delimiter, maxRecordBytes: options.parse?.maxRecordBytes },
  };
}

const NO_FINGERPRINT = 'unavailable (not a file)';

async function fingerprintInputs(inputs: readonly ParseInput[]): Promise<InputFingerprint[]> {
  const prints: InputFingerprint[] = [];
  for (const input of inputs) {
    if (typeof input === 'string' && input !== '-') prints.push(await fingerprintInput(input));
    else prints.push({ source: typeof input === 'string' ? 'stdin' : 'stream', size: -1, mtimeMs: 0, headSha256: NO_FINGERPRINT, headBytes: 0 });
  }
  return prints;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function checkRunOptions(options: UploadRunOptions): void {
  if (options.wait !== undefined && typeof options.wait !== 'boolean') throw invalidOption('wait', 'a boolean', options.wait);
  const perMinute = options.callsPerMinute ?? 50;
  if (!(Number.isSafeInteger(perMinute) && perMinute >= 1)) throw invalidOption('callsPerMinute', 'an integer ≥ 1', options.callsPerMinute);
  if (options.statusDeadlineMs !== undefined && !(Number.isFinite(options.statusDeadlineMs) && options.statusDeadlineMs >= 0)) {
    throw invalidOption('statusDeadlineMs', 'a finite number of ms ≥ 0', options.statusDeadlineMs);
  }
}

/**
 * Runs the whole upload. Resolves with the report (batches that failed are in it: they do not reject);
 * rejects on a fatal error — bad token (TARGET_AUTH), resume mismatch, unreadable input, reject ceiling,
 * abort — after writing `run-end` to the journal so that the run can be resumed.
 */
export async function runUpload(options: UploadRunOptions, ctx: RunContext): Promise<UploadReport> {
  checkRunOptions(options);
  const dryRun = options.dryRun ?? false;
  const wait = !dryRun && (options.wait ?? true);
  const apiVersion = options.apiVersion ?? 'v2';
  const events = options.events ?? new EventEmitter<UploadEvents>();
  const configHash = configurationHash(batchShapingConfig(options));
  const secrets = options.token === undefined ? [] : [options.token];

  // Resume: the journal's first run fixes the configuration and inputs.
  let replay: JournalReplay | undefined;
  let inputs: InputFingerprint[] = [];
  const journalPath = dryRun ? undefined : options.journalPath;
  if (journalPath !== undefined) {
    inputs = await fingerprintInputs(options.inputs);
    // A journal with no record yet is a run killed before its run-start: nothing was sent, it starts afresh.
    if (await exists(journalPath)) replay = await readStartedJournal(journalPath);
    if (replay !== undefined) {
      if (inputs.some((print) => print.headSha256 === NO_FINGERPRINT) || replay.runStart.inputs.some((print) => print.headSha256 === NO_FINGERPRINT)) {
        throw new BulkpipeError(ErrorCode.RESUME_MISMATCH, `Cannot resume ${journalPath}: stdin and stream inputs cannot be fingerprinted, so bulkpipe cannot prove the batches are the same. Run from files, or start a new journal.`);
      }
      checkResume(replay, { configHash, inputs });
    }
  }

  const limiter = createAccountLimiter(options);
  const budget = new PriorityBudget(limiter, {
    callsPerWindow: options.callsPerMinute ?? 50,
    windowMs: options.rateWindowMs ?? 60_000,
    ...(options.reservedPollShare === undefined ? {} : { reservedPollShare: options.reservedPollShare }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
    onWait: (lane, expectedWaitMs) => events.emit('rate-limited', { lane, expectedWaitMs }),
  });
  const client = dryRun
    ? undefined
    : new TargetClient({
        ...options.http,
        client: options.client,
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
        ...(options.token === undefined ? {} : { token: options.token }),
        rateLimiter: budget.submissions,
        // Polls take their slot from the poll lane themselves (submissions first).
        rateLimitStatusPolls: false,
      });

  let journal: JournalWriter | undefined;
  let rowIndex: BatchRowIndex | undefined;
  let tracker: StatusTracker | undefined;
  let sink: UploadSink | undefined;
  try {
    if (journalPath !== undefined) {
      journal = await JournalWriter.open(journalPath, { secrets, fsync: options.journalFsync ?? true, ...(options.clock ? { clock: options.clock } : {}) });
      const target = {
        client: options.client,
        apiVersion: options.apiVersion ?? 'v2',
        idType: options.idType ?? 'thirdPartyId',
        ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
      } as const;
      await journal.append({ type: 'run-start', runId: randomUUID(), configHash, inputs, target, ...(replay ? { resumed: true } : {}) });
    }
    if (!dryRun && (options.failedCsvPath !== undefined || wait)) rowIndex = await BatchRowIndex.create(options.workDir);
    const time = { ...(options.clock ? { clock: options.clock } : {}), ...(options.timers ? { timers: options.timers } : {}), ...(options.random ? { random: options.random } : {}) };
    if (wait && client) {
      tracker = new StatusTracker({
        ...options.status,
        ...(options.statusDeadlineMs === undefined ? {} : { deadlineMs: options.statusDeadlineMs }),
        client,
        ...((options.rateLimitStatusPolls ?? true) ? { budget: budget.polls } : {}),
        ...(journal ? { journal } : {}),
        events,
        signal: ctx.signal,
        ...time,
        // A fatal poll answer (the token) stops the submissions too.
        onFatal: (error) => {
          if (sink && !sink.destroyed) sink.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      });
    }
    const activeTracker = tracker;
    sink = new UploadSink(
      {
        ...(client ? { client } : {}),
        apiVersion,
        idType: options.idType ?? 'thirdPartyId',
        ...(options.samplePerBatch === undefined ? {} : { samplePerBatch: options.samplePerBatch }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
        ...(options.forceSignal === undefined ? {} : { forceSignal: options.forceSignal }),
        ...(journal ? { journal } : {}),
        ...(replay ? { replay } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        dryRun,
        events,
        ...(rowIndex ? { rowIndex } : {}),
        // The run's own pipeline: nothing but this sink sees the batches.
        releaseBodies: true,
        ...time,
        onAccepted: (batch) => {
          const done = batch.status !== undefined && batch.status.state !== 'incomplete';
          if (activeTracker && batch.statusUrl !== undefined && !done) {
            activeTracker.track({ seq: batch.seq, statusUrl: batch.statusUrl, ...(batch.status ? { last: batch.status } : {}) });
          }
        },
      },
      ctx,
    );
    const uploadSink = sink;
    await runBatchPipeline(options, ctx, uploadSink);
    const statuses = tracker ? await tracker.finish() : undefined;
    const batches = uploadSink.batches();
    for (const batch of batches) {
      const status = statuses?.get(batch.seq);
      if (status) batch.status = status;
    }

    const failedLines = options.failedCsvPath !== undefined && rowIndex ? await writeFailedLines(options.failedCsvPath, batches, rowIndex) : 0;
    const report = buildReport({ options, apiVersion, dryRun, wait, replay, configHash, batches, failedLines, ctx, journalPath });
    if (journal) await journal.append({ type: 'run-end', outcome: journalOutcome(report), counters: { ...ctx.counters, ...report.totals } });
    return report;
  } catch (error) {
    tracker?.abort(error);
    if (sink) {
      if (!sink.destroyed) sink.destroy(error instanceof Error ? error : new Error(String(error)));
      await sink.settled();
    }
    await tracker?.finish().catch(() => undefined);
    if (journal) {
      const outcome: RunOutcome = ctx.signal.aborted ? 'aborted' : 'failed';
      const message = error instanceof Error ? error.message : String(error);
      await journal.append({ type: 'run-end', outcome, message, counters: { ...ctx.counters } }).catch(() => undefined);
    }
    // An abort surfaces as its reason (as withRetry and the rate limiter do), not as the pipeline's AbortError.
    throw ctx.signal.aborted ? ctx.signal.reason : error;
  } finally {
    await journal?.close().catch(() => undefined);
    await rowIndex?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
  }
}

function journalOutcome(report: UploadReport): RunOutcome {
  return report.outcome === 'complete' ? 'complete' : report.outcome === 'failed' ? 'failed' : 'submitted';
}

interface ReportInput {
  options: UploadRunOptions;
  apiVersion: ApiVersion;
  dryRun: boolean;
  wait: boolean;
  replay: JournalReplay | undefined;
  configHash: string;
  batches: readonly BatchProgress[];
  failedLines: number;
  ctx: RunContext;
  journalPath: string | undefined;
}

function buildReport(input: ReportInput): UploadReport {
  const { apiVersion, batches, ctx } = input;
  const totals: UploadTotals = { batches: 0, rows: 0, bytes: 0, accepted: 0, resumed: 0, failed: 0, complete: 0, incomplete: 0, stuck: 0, unknown: 0, failedRows: 0, profilesNotFound: 0, failedLines: input.failedLines };
  const reports = batches.map((batch): BatchReport => {
    totals.batches++;
    totals.rows += batch.rows;
    totals.bytes += batch.bytes;
    const status = batch.status;
    const state: BatchReportState =
      batch.submit === 'planned' ? 'planned'
      : batch.submit === 'failed' ? 'failed'
      : status === undefined ? 'accepted'
      : status.state;
    if (batch.submit === 'accepted') {
      if (batch.resumed) totals.resumed++;
      else totals.accepted++;
    }
    if (state === 'failed') totals.failed++;
    if (state === 'complete' || state === 'incomplete' || state === 'stuck' || state === 'unknown') totals[state]++;
    const reconciliation = status ? reconcileBatch(batch.rows, status, apiVersion) : undefined;
    totals.failedRows += reconciliation?.failed ?? 0;
    totals.profilesNotFound += reconciliation?.notFound ?? 0;
    const discrepancies = [...(reconciliation?.discrepancies ?? []), ...(status?.error ? [`status not read: ${status.error.message}`] : [])];
    return Object.freeze({
      seq: batch.seq,
      rows: batch.rows,
      bytes: batch.bytes,
      sha256: batch.sha256,
      firstLine: batch.firstLine,
      lastLine: batch.lastLine,
      ...(batch.batchId === undefined ? {} : { batchId: batch.batchId }),
      ...(batch.statusUrl === undefined ? {} : { statusUrl: batch.statusUrl }),
      state,
      resumed: batch.resumed,
      attempts: batch.attempts,
      counts: { ...(status?.counts ?? {}) } as Record<string, number>,
      failedRows: reconciliation?.failed ?? 0,
      failedIds: status?.failedIds.length ?? 0,
      discrepancies,
      timedOut: status?.timedOut ?? false,
      ...(batch.error === undefined ? {} : { error: batch.error }),
    });
  });
  const troubled = reports.some((batch) => batch.state === 'failed' || batch.state === 'stuck' || batch.failedRows > 0 || batch.discrepancies.length > 0);
  const allComplete = reports.every((batch) => batch.state === 'complete');
  const outcome = input.dryRun ? 'dry-run' : troubled ? 'failed' : allComplete ? 'complete' : 'submitted';
  const { read, rejected, merged, sent } = ctx.counters;
  return Object.freeze({
    outcome,
    apiVersion,
    resumed: input.replay !== undefined,
    ...(input.journalPath === undefined ? {} : { journalPath: input.journalPath }),
    ...(input.options.failedCsvPath === undefined || input.dryRun ? {} : { failedCsvPath: input.options.failedCsvPath }),
    configHash: input.configHash,
    batches: Object.freeze(reports),
    totals: Object.freeze(totals),
    accounting: Object.freeze({ read, rejected, merged, sent, booksBalance: ctx.booksBalance() }),
  });
}
