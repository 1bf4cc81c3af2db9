/**
 * Merge by id: every id leaves exactly once per run (Target lets a later v2 batch override an earlier one for
 * the same id, TARGET-API.md §2), folded by policy, with every input line it came from, in first-seen id order.
 * In memory in this version, with an estimated-memory budget that stops the run clearly.
 */
import { Duplex } from 'node:stream';
import { BulkpipeError, ErrorCode, invalidOption } from '@bulkpipe/core';
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Step } from '../step.js';
import { resolveMergeOptions } from './merge-options.js';
import type { MergeOptions, ResolvedMergeOptions } from './merge-options.js';
import { MergedRow } from './merged-row.js';
import type { MergeConflict } from './merged-row.js';
import { RowStore } from './row-store.js';

/** The merge step, plus an incremental end of input for stream adapters. */
export interface MergeStep extends Step<ProfileRow, ProfileRow> {
  /**
   * End of input, one row at a time: the held rows are handed on as the consumer pulls them, so a stream can
   * respect backpressure (`flush(emit)` emits every held row at once).
   */
  drain(): Generator<ProfileRow>;
}

export function createMergeStep(options: MergeOptions, ctx: RunContext): MergeStep {
  const resolved = resolveMergeOptions(options);
  const { policy } = resolved;
  const store = new RowStore(policy === 'reject');
  function* drain(): Generator<ProfileRow> {
    for (const row of store.drain()) {
      if (row instanceof MergedRow && row.conflict !== undefined) rejectConflicting(row, row.conflict, ctx);
      else yield row;
    }
  }
  return {
    push(row) {
      if (!store.has(row.id)) {
        store.add(row);
        if (store.estimatedBytes > resolved.maxMemoryBytes) throw budgetExceeded(resolved, store);
        return;
      }
      ctx.counters.merged++;
      store.open(row.id).fold(row, policy);
      store.grow(row);
      if (store.estimatedBytes > resolved.maxMemoryBytes) throw budgetExceeded(resolved, store);
    },
    flush(emit) {
      for (const row of drain()) emit(row);
    },
    drain,
  };
}

export interface MergeStageOptions {
  /** Rows per output chunk when the held rows are handed on at the end of input. @default 1024 */
  chunkRows?: number;
}

/**
 * The merge step as an object-mode stream: ProfileRow chunks (arrays) in and out.
 *
 * Not `stepToStream`: that adapter collects a flush's outputs into one array, and merge's flush is the whole
 * run — every row at once, and every batch at once in the batcher behind it. Here the held rows leave in
 * chunks as downstream pulls them.
 */
export function mergeStage(options: MergeOptions, ctx: RunContext, stageOptions: MergeStageOptions = {}): Duplex {
  const step = createMergeStep(options, ctx);
  const chunkRows = stageOptions.chunkRows ?? 1024;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw invalidOption('chunkRows', 'a positive integer', chunkRows);
  const ignore = (): void => undefined; // push never emits: merge holds every row until the end of input
  return Duplex.from(async function* (source: AsyncIterable<ProfileRow | ProfileRow[]>) {
    for await (const chunk of source) {
      if (Array.isArray(chunk)) for (const row of chunk) step.push(row, ignore);
      else step.push(chunk, ignore);
    }
    let out: ProfileRow[] = [];
    for (const row of step.drain()) {
      out.push(row);
      if (out.length >= chunkRows) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  });
}

/**
 * Rejects every row of an id whose rows disagree. Its folds were counted as merged; they move to rejected so
 * that read = rejected + merged + sent still holds.
 */
export function rejectConflicting(row: MergedRow, conflict: MergeConflict, ctx: RunContext): void {
  ctx.counters.merged -= row.origins.length - 1;
  const { attribute, held, incoming } = conflict;
  for (const origin of row.origins) {
    const other = origin === held ? incoming : origin === incoming ? held : undefined;
    const message =
      other !== undefined
        ? `id ${JSON.stringify(row.id)} has a different value for attribute ${JSON.stringify(attribute)} on ${where(other, origin)}`
        : `id ${JSON.stringify(row.id)} has conflicting values for attribute ${JSON.stringify(attribute)} on ${where(held, origin)} and ${where(incoming, origin)}`;
    ctx.reject({
      source: origin.source,
      line: origin.line,
      id: row.id,
      code: ErrorCode.DUPLICATE_CONFLICT,
      message: `${message}; every row of this id is rejected (merge policy "reject"; use --merge last or first to fold them)`,
    });
  }
}

/** "line 7", or "other.csv line 7" when the line is in another input than `from`. */
function where(origin: RowOrigin, from: RowOrigin): string {
  return origin.source === from.source ? `line ${origin.line}` : `${origin.source} line ${origin.line}`;
}

function budgetExceeded(options: ResolvedMergeOptions, store: RowStore): BulkpipeError {
  return new BulkpipeError(
    ErrorCode.MEMORY_BUDGET_EXCEEDED,
    `Merge by id holds ${store.size.toLocaleString('en-US')} rows, one per id (~${mebibytes(store.estimatedBytes)} estimated), ` +
      `over its memory budget of ${mebibytes(options.maxMemoryBytes)} (maxMemoryBytes ${options.maxMemoryBytes}). ` +
      `Raise the budget with --memory (Node may also need --max-old-space-size), or split the input into runs by id; ` +
      `a merge that spills to disk is planned.`,
    { option: 'maxMemoryBytes' },
  );
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
