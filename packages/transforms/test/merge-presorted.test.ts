/**
 * `presorted`: on an input grouped by id the constant-memory merge gives the in-memory merge's batches byte for
 * byte (ids, origins, line ranges), the same warnings and counters and the same rejects (conflicts are reported
 * when their id closes instead of at the end); batches leave while the input is read; an id that comes back
 * after other ids stops the run with INPUT_NOT_GROUPED naming both lines.
 */
import { Readable } from 'node:stream';
import test from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '@bulkpipe/core';
import type { InputRecord, RejectedRow, RowWarning, ValuePolicy } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { PresortedMerge } from '../src/merge/presorted-merge.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';
import { discardBatches, runBatchPipeline } from '../src/assemble/batch-pipeline.js';

const headerArb = fc.uniqueArray(fc.constantFrom('a', 'b', '2', '10', '__proto__', 'städt', 'e m'), { minLength: 1, maxLength: 5 });
const idArb = fc.constantFrom('1', '2', 'c-3', 'ü-4', ' 5', '', 'a+b', 'x/y', 'k9', 'k10');
const valueArb = fc.constantFrom('', '', 'v', 'w', 'zürich', 'a b&c=d%e+f', '東京', 'x'.repeat(300), 'has,comma');

interface Outcome {
  batches: { body: string; rows: number; firstLine: number; lastLine: number; ids: readonly string[]; origins: unknown; sha256: string }[];
  rejects: Omit<RejectedRow, 'fields'>[];
  warnings: RowWarning[];
  counters: unknown;
}

function records(header: readonly string[], rows: readonly [string, string[]][]): InputRecord[] {
  const columns = Object.freeze(['id', ...header]);
  return rows.map(([id, values], index) => {
    const fields: Record<string, string> = {};
    columns.forEach((column, i) => Object.defineProperty(fields, column, { value: i === 0 ? id : values[i - 1] ?? '', enumerable: true, writable: true, configurable: true }));
    return { source: index % 7 === 6 ? 'b.csv' : 'a.csv', line: index + 2, fields, columns };
  });
}

function observe(run: (ctx: RunContext, emit: (batch: Batch) => void) => void): Outcome {
  const ctx = new RunContext({ enforceRejectRate: false });
  const rejects: Omit<RejectedRow, 'fields'>[] = [];
  const warnings: RowWarning[] = [];
  ctx.events.on('reject', ({ fields: _fields, ...row }) => rejects.push(row));
  ctx.events.on('warning', (warning) => warnings.push(warning));
  const batches: Batch[] = [];
  run(ctx, (batch) => batches.push(batch));
  return {
    batches: batches.map((b) => ({ body: b.body.toString('latin1'), rows: b.rows, firstLine: b.firstLine, lastLine: b.lastLine, ids: b.ids, origins: b.origins, sha256: b.sha256 })),
    rejects: rejects.sort((x, y) => x.line - y.line || x.code.localeCompare(y.code)),
    warnings,
    counters: { ...ctx.counters },
  };
}

test('on a grouped input the presorted merge gives the in-memory batches, rejects, warnings and counters', (t) => {
  fc.assert(
    fc.property(
      headerArb,
      fc.array(fc.tuple(idArb, fc.array(valueArb, { minLength: 5, maxLength: 5 })), { maxLength: 40 }),
      fc.constantFrom<MergePolicy>('last', 'first', 'reject'),
      fc.constantFrom<ValuePolicy>({}, { onForbiddenChars: 'drop' }),
      fc.constantFrom(400, 3000, 50_000_000),
      fc.constantFrom(1, 3, 500_000),
      (header, rows, policy, valuePolicy, maxBytes, maxRows) => {
        // Grouped, not sorted: ids in order of first appearance, each id's rows together.
        const order = [...new Set(rows.map(([id]) => id))];
        const grouped = records(header, order.flatMap((id) => rows.filter(([rowId]) => rowId === id)));
        const batchOptions = resolveBatchOptions({ maxBytes, maxRows });
        const memory = observe((ctx, emit) => {
          const merge = new ArenaMerge({ idColumn: 'id', valuePolicy }, resolveMergeOptions({ policy }), ctx);
          for (const record of grouped) merge.push(record);
          const batcher = new ByteBatcher(batchOptions, ctx, emit);
          for (const _ of merge.drain(batcher));
          batcher.flush();
        });
        const presorted = observe((ctx, emit) => {
          const batcher = new ByteBatcher(batchOptions, ctx, emit);
          const merge = new PresortedMerge({ idColumn: 'id', valuePolicy }, resolveMergeOptions({ policy, presorted: true }), ctx, batcher);
          for (const record of grouped) merge.push(record);
          merge.flush();
          batcher.flush();
        });
        t.deepEqual(presorted, memory);
      },
    ),
    { numRuns: 300 },
  );
});

const columns = Object.freeze(['id', 'name']);
const row = (line: number, id: string, name = 'n'): InputRecord => ({ source: 'in.csv', line, columns, fields: { id, name } });

test('an id that comes back after another id stops the run with INPUT_NOT_GROUPED naming both lines', (t) => {
  const ctx = new RunContext();
  const batcher = new ByteBatcher(resolveBatchOptions(), ctx, () => undefined);
  const merge = new PresortedMerge({ idColumn: 'id' }, resolveMergeOptions({ presorted: true }), ctx, batcher);
  merge.push(row(2, 'a'));
  merge.push(row(3, 'a'));
  merge.push(row(4, 'b'));
  const error = t.throws(() => merge.push(row(5, 'a')));
  t.is((error as { code?: string }).code, ErrorCode.INPUT_NOT_GROUPED);
  t.regex(error!.message, /id "a" on line 5 appears again .* from line 2 /);
  t.like((error as unknown as { context: object }).context, { source: 'in.csv', line: 5, id: 'a' });
});

test('ids that share a check slot are told apart by their fingerprint: no false INPUT_NOT_GROUPED', (t) => {
  // Two entries only: many distinct ids collide on a slot; none of them was closed twice, so none may fail.
  const ctx = new RunContext();
  const batcher = new ByteBatcher(resolveBatchOptions(), ctx, () => undefined);
  const merge = new PresortedMerge({ idColumn: 'id' }, resolveMergeOptions({ presorted: true }), ctx, batcher, 2);
  t.notThrows(() => {
    for (let i = 0; i < 5000; i++) merge.push(row(i + 2, `id-${i}`));
  });
});

test('through runBatchPipeline, batches leave before the input has been read to the end', async (t) => {
  const total = 3000;
  let produced = 0;
  async function* slowCsv(): AsyncGenerator<string> {
    yield 'id,name\n';
    for (let i = 0; i < total; i += 100) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      let chunk = '';
      for (let j = i; j < i + 100; j++) chunk += `id-${String(j).padStart(5, '0')},n${j}\n`;
      produced = i + 100;
      yield chunk;
    }
  }
  const producedAtBatch: number[] = [];
  await runBatchPipeline(
    { inputs: [Readable.from(slowCsv())], idColumn: 'id', merge: { presorted: true }, batch: { maxRows: 200 } },
    new RunContext(),
    discardBatches(() => producedAtBatch.push(produced)),
  );
  t.is(producedAtBatch.length, total / 200);
  t.true(producedAtBatch[0]! < total / 2, `first batch arrived after ${producedAtBatch[0]} of ${total} rows were produced`);
});

test('through runBatchPipeline, a not-grouped input fails the run with INPUT_NOT_GROUPED', async (t) => {
  const csv = 'id,name\na,1\nb,2\na,3\n';
  const error = await t.throwsAsync(runBatchPipeline({ inputs: [Readable.from([csv])], idColumn: 'id', merge: { presorted: true } }, new RunContext(), discardBatches()));
  t.is((error as { code?: string }).code, ErrorCode.INPUT_NOT_GROUPED);
  t.regex(error!.message, /line 4 .*line 2/);
});
