/** Options of the upload sink, resolved once into a frozen normalized form. */
import { invalidOption, resolveRetryPolicy } from '@bulkpipe/core';
import type { ApiVersion, IdType, Clock, JournalReplay, JournalWriter, Random, RetryPolicy, RetryPolicyOptions, TargetClient, Timers } from '@bulkpipe/core';
import type { BatchProgress } from './batch-progress.js';
import type { BatchRowIndex } from './batch-row-index.js';
import type { UploadEmitter } from './upload-events.js';

export interface UploadOptions {
  /** The Target client; its rate limiter paces every submission. Required unless `dryRun`. */
  client?: TargetClient;
  /** @default 'v2' */
  apiVersion?: ApiVersion;
  /** Batches submitted at the same time. Memory holds at most this many bodies in flight plus one waiting. @default 2 */
  concurrency?: number;
  /** Journal records are appended (and fsynced) before every POST and after every answer. @default none */
  journal?: JournalWriter;
  /** An earlier run's journal: batches it shows accepted are not sent again; a changed batch is refused. */
  replay?: JournalReplay;
  /** Retry policy of each submission. @default RETRY_DEFAULTS */
  retry?: RetryPolicyOptions;
  /** Build and journal nothing, send nothing: every batch is `planned`. @default false */
  dryRun?: boolean;
  /** Progress events. @default a new emitter, `sink.events` */
  events?: UploadEmitter;
  /** Keeps each batch's ids and input lines on disk, to map failed ids back to lines. @default none */
  rowIndex?: BatchRowIndex;
  /** Called when Target accepted a batch (or the journal says it did): status tracking starts here. */
  onAccepted?: (batch: BatchProgress) => void;
  /** The batches' key column (recorded with the verification sample). @default 'thirdPartyId' */
  idType?: IdType;
  /** Rows per batch recorded (values hashed) in the journal for `verifySample`. @default 20 */
  samplePerBatch?: number;
  /**
   * Release each batch once it is done with (accepted, failed for good, planned or resumed; see releaseBatch),
   * so that later batches are built in its memory. Only when nothing else holds the batches (uploadRun). @default false
   */
  releaseBodies?: boolean;
  /**
   * When the run is aborted (SIGINT), calls already on the wire may finish for this long so that their answers
   * are journaled; no new batch, retry or wait starts. Past it — or when `forceSignal` aborts — they are cut,
   * and their batches stay in doubt (a resumed run sends them again). @default 30000
   */
  graceMs?: number;
  /** Cuts calls in flight at once (a second SIGINT). */
  forceSignal?: AbortSignal;
  /** Time and randomness of the retry waits (tests). @default the system's */
  clock?: Clock;
  timers?: Timers;
  random?: Random;
}

export interface ResolvedUploadOptions {
  readonly apiVersion: ApiVersion;
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  readonly dryRun: boolean;
  readonly idType: IdType;
  readonly samplePerBatch: number;
  readonly graceMs: number;
}

export const DEFAULT_UPLOAD_CONCURRENCY = 2;

export function resolveUploadOptions(options: UploadOptions): ResolvedUploadOptions {
  const apiVersion = options.apiVersion ?? 'v2';
  if (apiVersion !== 'v1' && apiVersion !== 'v2') throw invalidOption('apiVersion', "'v1' or 'v2'", apiVersion);
  const concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw invalidOption('concurrency', 'an integer from 1 to 64', concurrency);
  const dryRun = options.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw invalidOption('dryRun', 'a boolean', dryRun);
  if (!dryRun && options.client === undefined) throw invalidOption('client', 'a TargetClient (only a dry run can do without)', undefined);
  const idType = options.idType ?? 'thirdPartyId';
  if (idType !== 'thirdPartyId' && idType !== 'pcId') throw invalidOption('idType', "'thirdPartyId' or 'pcId'", idType);
  const samplePerBatch = options.samplePerBatch ?? 20;
  if (!(Number.isSafeInteger(samplePerBatch) && samplePerBatch >= 0)) throw invalidOption('samplePerBatch', 'an integer ≥ 0', samplePerBatch);
  const graceMs = options.graceMs ?? 30_000;
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw invalidOption('graceMs', 'a number of ms ≥ 0', graceMs);
  return Object.freeze({ apiVersion, concurrency, retry: resolveRetryPolicy(options.retry ?? {}), dryRun, idType, samplePerBatch, graceMs });
}
