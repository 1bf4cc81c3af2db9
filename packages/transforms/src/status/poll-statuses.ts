/**
 * `bulkpipe status <journal | status-url…> [--wait]`: the statuses of batches submitted earlier, polled
 * once or until final, through one rate limiter. From a journal, batches already final are reported from it,
 * accepted ones are polled and their statuses appended (so a later resume knows them).
 */
import { EventEmitter } from 'node:events';
import { JournalWriter, TargetClient, invalidOption, readJournal } from '@bulkpipe/core';
import type { ApiVersion, Clock, Random, TargetClientOptions, Timers } from '@bulkpipe/core';
import type { StatusSummary } from '../upload/batch-progress.js';
import type { UploadEmitter, UploadEvents } from '../upload/upload-events.js';
import { reconcileBatch } from './reconcile.js';
import type { Reconciliation } from './reconcile.js';
import type { StatusPollOptions } from './status-options.js';
import { StatusTracker } from './status-tracker.js';
import { createAccountLimiter } from '../upload/account-limiter.js';

export interface PollStatusesOptions extends StatusPollOptions {
  /** Target client code. */
  client: string;
  baseUrl?: string;
  token?: string;
  /** Poll the batches of this journal. Either this or `statusUrls`. */
  journalPath?: string;
  /** Poll these status URLs (exactly as Target returned them), numbered 1… in order. */
  statusUrls?: readonly string[];
  /** Poll until every batch is final or the deadline passes; false polls each batch once. @default false */
  wait?: boolean;
  /** Used to reconcile counts (v2 lists failed ids). @default 'v2' */
  apiVersion?: ApiVersion;
  /** @default 50 */
  callsPerMinute?: number;
  /** @default 60000 */
  rateWindowMs?: number;
  http?: Omit<TargetClientOptions, 'client' | 'baseUrl' | 'token' | 'rateLimiter'>;
  events?: UploadEmitter;
  signal?: AbortSignal;
  clock?: Clock;
  timers?: Timers;
  random?: Random;
}

export interface PolledStatus {
  readonly seq: number;
  /** Undefined for a journaled batch Target never accepted (nothing to poll). */
  readonly statusUrl?: string;
  readonly batchId?: string;
  /** Rows sent, when the journal says. */
  readonly rows?: number;
  /** `not-accepted`: the journal shows no accepted submission for this batch. */
  readonly state: StatusSummary['state'] | 'not-accepted';
  readonly status?: StatusSummary;
  readonly reconciliation?: Reconciliation;
  /** True when the state comes from the journal (already final), not from a poll now. */
  readonly fromJournal: boolean;
}

interface Target {
  seq: number;
  statusUrl?: string;
  batchId?: string;
  rows?: number;
  last?: StatusSummary;
}

export async function pollStatuses(options: PollStatusesOptions): Promise<PolledStatus[]> {
  if ((options.journalPath === undefined) === (options.statusUrls === undefined)) throw invalidOption('journalPath', 'either a journal or status URLs (not both)', options.journalPath);
  const wait = options.wait ?? false;
  const targets: Target[] = [];
  if (options.journalPath !== undefined) {
    const replay = await readJournal(options.journalPath);
    for (const batch of replay.batches.values()) {
      const last = batch.lastStatus;
      targets.push({
        seq: batch.seq,
        ...(batch.statusUrl === undefined ? {} : { statusUrl: batch.statusUrl }),
        ...(batch.batchId === undefined ? {} : { batchId: batch.batchId }),
        ...(batch.built === undefined ? {} : { rows: batch.built.rows }),
        ...(last === undefined ? {} : { last: { state: last.status, counts: last.counts, failedIds: last.failedIds, polls: 0, timedOut: false } }),
      });
    }
  } else {
    options.statusUrls?.forEach((statusUrl, i) => targets.push({ seq: i + 1, statusUrl }));
  }

  const limiter = createAccountLimiter(options);
  const client = new TargetClient({
    ...options.http,
    client: options.client,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    ...(options.token === undefined ? {} : { token: options.token }),
    rateLimiter: limiter,
  });
  const toPoll = targets.filter((target) => target.statusUrl !== undefined && !isFinal(target.last));
  let journal: JournalWriter | undefined;
  try {
    if (options.journalPath !== undefined && toPoll.length > 0) {
      journal = await JournalWriter.open(options.journalPath, { secrets: options.token === undefined ? [] : [options.token], ...(options.clock ? { clock: options.clock } : {}) });
    }
    const tracker = new StatusTracker({
      ...options,
      // Without --wait: one poll each, at once.
      ...(wait ? {} : { initialDelayMs: 0, deadlineMs: 0 }),
      client,
      ...(journal ? { journal } : {}),
      events: options.events ?? new EventEmitter<UploadEvents>(),
    });
    for (const target of toPoll) tracker.track({ seq: target.seq, statusUrl: target.statusUrl as string, ...(target.last ? { last: target.last } : {}) });
    const statuses = await tracker.finish();
    const apiVersion = options.apiVersion ?? 'v2';
    return targets.map((target): PolledStatus => {
      const polled = toPoll.includes(target);
      const found = polled ? statuses.get(target.seq) : target.last;
      const status = found && !wait && found.timedOut ? { ...found, timedOut: false } : found;
      return {
        seq: target.seq,
        ...(target.statusUrl === undefined ? {} : { statusUrl: target.statusUrl }),
        ...(target.batchId === undefined ? {} : { batchId: target.batchId }),
        ...(target.rows === undefined ? {} : { rows: target.rows }),
        state: target.statusUrl === undefined ? 'not-accepted' : (status?.state ?? 'unknown'),
        ...(status === undefined ? {} : { status }),
        ...(status !== undefined && target.rows !== undefined ? { reconciliation: reconcileBatch(target.rows, status, apiVersion) } : {}),
        fromJournal: !polled,
      };
    });
  } finally {
    await journal?.close().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

function isFinal(status: StatusSummary | undefined): boolean {
  return status !== undefined && (status.state === 'complete' || status.state === 'stuck');
}
