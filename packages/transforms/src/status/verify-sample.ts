/**
 * `bulkpipe verify <journal> --sample N`: fetches a deterministic sample of the profiles a run sent and
 * compares their values with what was sent (hashes recorded in the journal). Adobe allows that up to ~0.1 %
 * of a large batch may not be onboarded; the result compares the mismatch rate with that allowance.
 * Run it after the batches are `complete` (Target applies batches asynchronously).
 */
import { TargetClient, invalidOption, readJournal } from '@bulkpipe/core';
import type { SentRowSample, TargetClientOptions } from '@bulkpipe/core';
import { idRank, valueDigest } from '../upload/sent-sample.js';

/** Adobe: up to about 0.1 % of a large batch may not be onboarded (TARGET-API.md §1). */
export const ADOBE_LOSS_ALLOWANCE = 0.001;

export interface VerifySampleOptions {
  journalPath: string;
  /** Profiles to fetch. */
  sample: number;
  /** Target client code. */
  client: string;
  baseUrl?: string;
  token?: string;
  /** Fail (withinThreshold = false) above this mismatch rate. @default 0.001 (Adobe's allowance) */
  maxMismatchRate?: number;
  /** Profile fetches in flight at once (fetches are not under the 50/min budget). @default 4 */
  concurrency?: number;
  http?: Omit<TargetClientOptions, 'client' | 'baseUrl' | 'token'>;
  signal?: AbortSignal;
}

export interface SampleMismatch {
  readonly seq: number;
  readonly id: string;
  readonly problem: 'not-found' | 'values-differ';
  /** Attributes missing from the profile or holding another value. */
  readonly attributes: readonly string[];
}

export interface VerifyReport {
  /** Samples the journal recorded (the most that can be checked). */
  readonly recorded: number;
  readonly checked: number;
  readonly matched: number;
  readonly mismatches: readonly SampleMismatch[];
  readonly mismatchRate: number;
  readonly allowance: number;
  readonly maxMismatchRate: number;
  readonly withinThreshold: boolean;
}

export async function verifySample(options: VerifySampleOptions): Promise<VerifyReport> {
  if (!(Number.isSafeInteger(options.sample) && options.sample >= 1)) throw invalidOption('sample', 'an integer ≥ 1', options.sample);
  const maxMismatchRate = options.maxMismatchRate ?? ADOBE_LOSS_ALLOWANCE;
  if (!(maxMismatchRate >= 0 && maxMismatchRate <= 1)) throw invalidOption('maxMismatchRate', 'a fraction from 0 to 1', options.maxMismatchRate);
  const concurrency = options.concurrency ?? 4;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1)) throw invalidOption('concurrency', 'an integer ≥ 1', options.concurrency);

  const replay = await readJournal(options.journalPath);
  // Only rows Target accepted can be expected in a profile.
  const recorded: Array<{ seq: number; row: SentRowSample }> = [];
  for (const batch of replay.batches.values()) {
    if (batch.statusUrl === undefined) continue;
    for (const row of batch.built?.sample ?? []) recorded.push({ seq: batch.seq, row });
  }
  const chosen = recorded.sort((a, b) => idRank(a.row.id) - idRank(b.row.id) || (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0)).slice(0, options.sample);

  const client = new TargetClient({ ...options.http, client: options.client, ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }), ...(options.token === undefined ? {} : { token: options.token }) });
  const mismatches: SampleMismatch[] = [];
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chosen.length) {
        const { seq, row } = chosen[next++] as { seq: number; row: SentRowSample };
        const lookup = await client.fetchProfile(row.idType === 'pcId' ? { pcId: row.id } : { thirdPartyId: row.id }, options.signal ? { signal: options.signal } : {});
        if (!lookup.found) {
          mismatches.push({ seq, id: row.id, problem: 'not-found', attributes: Object.keys(row.values) });
          continue;
        }
        const differ = Object.entries(row.values)
          .filter(([name, digest]) => {
            const value = lookup.profile.profileAttributes[name]?.value;
            return value === undefined || valueDigest(value) !== digest;
          })
          .map(([name]) => name);
        if (differ.length > 0) mismatches.push({ seq, id: row.id, problem: 'values-differ', attributes: differ });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chosen.length) }, worker));
  } finally {
    await client.close().catch(() => undefined);
  }
  mismatches.sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1));
  const checked = chosen.length;
  const mismatchRate = checked === 0 ? 0 : mismatches.length / checked;
  return Object.freeze({
    recorded: recorded.length,
    checked,
    matched: checked - mismatches.length,
    mismatches: Object.freeze(mismatches),
    mismatchRate,
    allowance: ADOBE_LOSS_ALLOWANCE,
    maxMismatchRate,
    withinThreshold: mismatchRate <= maxMismatchRate,
  });
}
