/** The fused merge's memory budget: estimated from the bytes it really holds, and a clear stop past it. */
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';

const columns = Object.freeze(['id', 'note']);
const record = (i: number): InputRecord => ({ source: 'a.csv', line: i + 2, columns, fields: { id: `c-${i}`, note: 'x'.repeat(1000) } });

test('with spilling off, passing the budget stops the merge with MEMORY_BUDGET_EXCEEDED naming the rows held and the budget', (t) => {
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions({ maxMemoryBytes: 200_000, spill: false }), new RunContext());
  const error = t.throws(() => {
    for (let i = 0; i < 1000; i++) merge.push(record(i));
  });
  t.is((error as { code?: string }).code, ErrorCode.MEMORY_BUDGET_EXCEEDED);
  t.regex(error!.message, /holds [\d,]+ rows, one per id .* over its memory budget of 0\.2 MiB \(maxMemoryBytes 200000\)/);
  // Row bytes dominate the estimate: ~1 KB a row, so the stop comes after roughly (budget - index) / 1 KB rows.
  t.true(merge.size > 100 && merge.size < 200, `held ${merge.size}`);
});

test('the estimate counts the row bytes, the index and the id table, and stays within the budget below it', (t) => {
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions({ maxMemoryBytes: 10_000_000 }), new RunContext());
  for (let i = 0; i < 5000; i++) merge.push(record(i));
  t.is(merge.size, 5000);
  t.true(merge.estimatedBytes >= 5000 * 1006, `estimated ${merge.estimatedBytes}`);
  t.true(merge.estimatedBytes < 10_000_000);
});
