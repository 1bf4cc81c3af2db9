import test from 'ava';
import { ErrorCode, isBulkpipeError } from '@bulkpipe/core';
import type { ProfileRow } from '@bulkpipe/core';
import { createMergeStep } from '../src/merge/merge-step.js';
import { RunContext } from '../src/run-context.js';

function* rows(count: number): Generator<ProfileRow> {
  for (let i = 0; i < count; i++) {
    yield { id: `c-${i}`, attributes: { email: `someone${i}@example.com`, tier: 'gold' }, origins: [{ source: 'in.csv', line: i + 2 }] };
  }
}

test('passing the memory budget stops the merge with a coded error naming the budget, the rows held and the fix', (t) => {
  const step = createMergeStep({ maxMemoryBytes: 100_000 }, new RunContext());
  const error = t.throws(() => {
    for (const row of rows(10_000)) step.push(row, () => undefined);
  });
  t.true(isBulkpipeError(error, ErrorCode.MEMORY_BUDGET_EXCEEDED));
  t.regex(error.message, /holds [\d,]+ rows/);
  t.regex(error.message, /budget of 0\.1 MiB \(maxMemoryBytes 100000\)/);
  t.regex(error.message, /--memory/);
});

test('the budget is an estimate that grows with the rows held, duplicates included', (t) => {
  let heldAtFailure = 0;
  const step = createMergeStep({ maxMemoryBytes: 200_000 }, new RunContext());
  const error = t.throws(() => {
    for (const row of rows(100_000)) {
      step.push(row, () => undefined);
      heldAtFailure++;
    }
  });
  t.true(isBulkpipeError(error, ErrorCode.MEMORY_BUDGET_EXCEEDED));
  // ~150-300 estimated bytes per packed row of this shape: the budget allows hundreds, not thousands.
  t.true(heldAtFailure > 300 && heldAtFailure < 2_000, `failed after ${heldAtFailure} rows`);

  const duplicates = createMergeStep({ maxMemoryBytes: 200_000 }, new RunContext());
  const same = rows(1).next().value as ProfileRow;
  const dupError = t.throws(() => {
    for (let i = 0; i < 100_000; i++) duplicates.push({ ...same, origins: [{ source: 'in.csv', line: i + 2 }] }, () => undefined);
  });
  t.true(isBulkpipeError(dupError, ErrorCode.MEMORY_BUDGET_EXCEEDED), 'origins of folded rows count too');
});

test('within the budget nothing is refused', (t) => {
  const step = createMergeStep({}, new RunContext());
  const out: ProfileRow[] = [];
  for (const row of rows(20_000)) step.push(row, (merged) => out.push(merged));
  step.flush((merged) => out.push(merged));
  t.is(out.length, 20_000);
});
