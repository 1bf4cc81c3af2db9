/**
 * What every stage of one run shares: the counters behind the accounting equation, the rejects and
 * warnings side channels, the event emitter for progress and `--json` output, the abort signal and a clock.
 */
import { EventEmitter } from 'node:events';
import { BulkpipeError, ErrorCode, invalidOption } from '@bulkpipe/core';
import type { RejectedRow, RowWarning } from '@bulkpipe/core';

export interface RunCounters {
  /** Records read from every input (header rows excluded). */
  read: number;
  /** Bytes read from every input (compressed bytes for .gz inputs). */
  bytesRead: number;
  /** Records that will not be sent; each has a reject with its line and reason. */
  rejected: number;
  /** Records folded into an earlier record with the same id. */
  merged: number;
  /** Rows placed into batches (one per id). */
  sent: number;
  /** Batches cut. */
  batches: number;
  /** Warnings raised (rows still sent). */
  warnings: number;
}

/** What a merge past its memory budget did (ArenaMerge): for the summary, so a user tuning `--memory` sees it. */
export interface SpillReport {
  /** The merge's memory budget (maxMemoryBytes). */
  readonly budgetBytes: number;
  /** Ids whose rows stayed in memory past the budget (0 when they were written out too). */
  readonly idsKept: number;
  /** Bytes written to temporary files: partition files and the runs merged from them. */
  readonly spilledBytes: number;
}

export interface RunEvents {
  reject: [RejectedRow];
  warning: [RowWarning];
  progress: [RunCounters];
  /** The merge passed its budget and its spill is done (after its last row went to the batcher). */
  spill: [SpillReport];
}

export interface Clock {
  now(): number;
}

export interface RunContextOptions {
  /** Aborts every stage of the run. */
  signal?: AbortSignal;
  /** @default Date */
  clock?: Clock;
  /**
   * Stop the run when rejected / read passes this fraction (0–1): a wrong column mapping must not reach a
   * production account. Checked once `rejectRateMinRows` rows were read, and again at the end. @default 0.05
   */
  maxRejectRate?: number;
  /**
   * Stop the run when the ceiling is passed. `bulkpipe validate` turns this off to report every problem;
   * the summary still compares the rate with the ceiling. @default true
   */
  enforceRejectRate?: boolean;
  /** Rows to read before the reject rate is judged mid-run. @default 1000 */
  rejectRateMinRows?: number;
  /** How many examples per reject or warning code the summary keeps. @default 3 */
  examplesPerCode?: number;
}

export interface CodeTally<T> {
  count: number;
  examples: T[];
}

export class RunContext {
  readonly counters: RunCounters = { read: 0, bytesRead: 0, rejected: 0, merged: 0, sent: 0, batches: 0, warnings: 0 };
  readonly events = new EventEmitter<RunEvents>();
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly maxRejectRate: number;
  readonly rejectsByCode = new Map<string, CodeTally<RejectedRow>>();
  readonly warningsByCode = new Map<string, CodeTally<RowWarning>>();
  readonly enforceRejectRate: boolean;
  private readonly rejectRateMinRows: number;
  private readonly examplesPerCode: number;
  /** The inputs' total size when known (expectInputBytes): mid-run, the ceiling is judged on the whole input. */
  private inputBytes = 0;
  /** Set when the merge spilled past its budget (reportSpill). */
  spill: SpillReport | undefined;

  constructor(options: RunContextOptions = {}) {
    const maxRejectRate = options.maxRejectRate ?? 0.05;
    if (!(maxRejectRate >= 0 && maxRejectRate <= 1)) throw invalidOption('maxRejectRate', 'a fraction from 0 to 1', maxRejectRate);
    this.maxRejectRate = maxRejectRate;
    this.enforceRejectRate = options.enforceRejectRate ?? true;
    this.rejectRateMinRows = options.rejectRateMinRows ?? 1000;
    this.examplesPerCode = options.examplesPerCode ?? 3;
    this.signal = options.signal ?? new AbortController().signal;
    this.clock = options.clock ?? Date;
  }

  /**
   * Records a rejected row. Throws REJECT_RATE_EXCEEDED once the ceiling is passed on enough rows — with the
   * inputs' size known, once the rejects alone pass the ceiling of the rows the whole input is projected to
   * hold (the rest of it could not bring the rate back under).
   */
  reject(row: RejectedRow): void {
    this.counters.rejected++;
    tally(this.rejectsByCode, row.code, row, this.examplesPerCode);
    this.events.emit('reject', row);
    if (this.counters.read >= this.rejectRateMinRows && this.rejectsPassCeilingOfInput()) this.checkRejectRate();
  }

  /**
   * The inputs are `bytes` long in all (files whose size is known up front). Mid-run, the reject ceiling is then
   * judged against the rows the whole input is projected to hold, not the rows read so far: an export sorted by
   * id has its empty and malformed ids first, and judged on its first thousand rows it looked all bad.
   */
  expectInputBytes(bytes: number): void {
    this.inputBytes = bytes;
  }

  /** The rejects so far are above the ceiling even of every row the input is projected to hold. */
  private rejectsPassCeilingOfInput(): boolean {
    const { read, rejected, bytesRead } = this.counters;
    const projected = this.inputBytes > bytesRead && bytesRead > 0 ? (read * this.inputBytes) / bytesRead : read;
    return rejected > this.maxRejectRate * projected;
  }

  /** Records what a merge past its budget did (see SpillReport). */
  reportSpill(report: SpillReport): void {
    this.spill = report;
    this.events.emit('spill', report);
  }

  warn(warning: RowWarning): void {
    this.counters.warnings++;
    tally(this.warningsByCode, warning.code, warning, this.examplesPerCode);
    this.events.emit('warning', warning);
  }

  /** rejected / read is above the ceiling. */
  rejectRateExceeded(): boolean {
    const { read, rejected } = this.counters;
    return read > 0 && rejected / read > this.maxRejectRate;
  }

  /** Throws REJECT_RATE_EXCEEDED when the rate is above the ceiling and the ceiling is enforced. */
  checkRejectRate(): void {
    if (!this.enforceRejectRate || !this.rejectRateExceeded()) return;
    const { read, rejected } = this.counters;
    const top = [...this.rejectsByCode.entries()].sort((a, b) => b[1].count - a[1].count)[0];
    const hint = top ? ` Most common: ${top[0]} (${top[1].count}×), e.g. line ${top[1].examples[0]?.line}: ${top[1].examples[0]?.message}.` : '';
    throw new BulkpipeError(
      ErrorCode.REJECT_RATE_EXCEEDED,
      `${rejected} of ${read} rows rejected (${formatPercent(rejected / read)}), above the ceiling of ${formatPercent(this.maxRejectRate)}; ` +
        `stopping before anything else is written or sent.${hint} Check the id column and mapping, or raise --max-reject-rate.`,
    );
  }

  /** The accounting equation: read = rejected + merged + sent. */
  booksBalance(): boolean {
    const { read, rejected, merged, sent } = this.counters;
    return read === rejected + merged + sent;
  }

  /** Throws BOOKS_UNBALANCED when the equation does not hold. */
  assertBooksBalance(): void {
    if (this.booksBalance()) return;
    const { read, rejected, merged, sent } = this.counters;
    throw new BulkpipeError(
      ErrorCode.BOOKS_UNBALANCED,
      `The books do not balance: read ${read} ≠ rejected ${rejected} + merged ${merged} + sent ${sent}. This is a bulkpipe bug; please report it.`,
    );
  }
}

function tally<T>(map: Map<string, CodeTally<T>>, code: string, item: T, examplesPerCode: number): void {
  let entry = map.get(code);
  if (!entry) {
    entry = { count: 0, examples: [] };
    map.set(code, entry);
  }
  entry.count++;
  if (entry.examples.length < examplesPerCode) entry.examples.push(item);
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.001 && fraction > 0 ? 3 : 1)} %`;
}
