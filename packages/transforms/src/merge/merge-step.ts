/**
 * Merge by id: every id leaves exactly once per run (Target lets a later v2 batch override an earlier one for
 * the same id, TARGET-API.md §2), folded by policy, with every input line it came from, in first-seen id order.
 * In memory in this version, with an estimated-memory budget that stops the run clearly.
 */
import type { Transform } from 'node:stream';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Step } from '../step.js';
import { stepToStream } from '../step-stream.js';
import type { StepStreamOptions } from '../step-stream.js';
import { resolveMergeOptions } from './merge-options.js';
import type { MergeOptions, ResolvedMergeOptions } from './merge-options.js';
import { MergedRow } from './merged-row.js';
import type { MergeConflict } from './merged-row.js';
import { RowStore } from './row-store.js';

export function createMergeStep(options: MergeOptions, ctx: RunContext): Step<ProfileRow, ProfileRow> {
  const resolved = resolveMergeOptions(options);
  const { policy } = resolved;
  const store = new RowStore(policy === 'reject');
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
      for (const row of store.drain()) {
        if (row instanceof MergedRow && row.conflict !== undefined) rejectConflicting(row, row.conflict, ctx);
        else emit(row);
      }
    },
  };
}

/** The merge step as an object-mode stream of ProfileRow chunks (arrays) in and out. */
export function mergeStage(options: MergeOptions, ctx: RunContext, streamOptions?: StepStreamOptions): Transform {
  return stepToStream(createMergeStep(options, ctx), streamOptions);
}

/**
 * Rejects every row of an id whose rows disagree. Its folds were counted as merged; they move to rejected so
 * that read = rejected + merged + sent still holds.
 */
function rejectConflicting(row: MergedRow, conflict: MergeConflict, ctx: RunContext): void {
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
