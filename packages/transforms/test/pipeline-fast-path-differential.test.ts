/**
 * The fused fast path of runBatchPipeline (validate + encode + merge into a byte arena, then the byte batcher)
 * must give exactly what the public steps give chained: the same batches byte for byte (with ids, origins and
 * line ranges), the same rejects and warnings in the same order, the same counters. Random records stress
 * what differs between the two implementations: integer-like and `__proto__` names, non-ASCII, lone
 * surrogates, commas, long values, duplicate ids under every merge policy, tiny caps.
 */
import test from 'ava';
import fc from 'fast-check';
import type { InputRecord, RejectedRow, RowWarning } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { chainSteps, runStep } from '../src/step.js';
import { createValidateStep } from '../src/validate/validate-step.js';
import { createMergeStep } from '../src/merge/merge-step.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { createBatchStep } from '../src/batch/batch-step.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';
import type { ValuePolicy } from '@bulkpipe/core';

const headerArb = fc.uniqueArray(fc.constantFrom('a', 'b', '2', '10', '__proto__', 'profile.c', 'städt', 'e m', 'x'.repeat(20)), { minLength: 1, maxLength: 6 });
const idArb = fc.constantFrom('1', '2', 'c-3', 'ü-4', ' 5', '', 'a+b', 'x/y', 'id,7', '0'.repeat(38), 'long-id-0000000000001');
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('', 'v', 'w', 'zürich', 'a b&c=d%e+f', "it's (ok)*!", '東京', '😀', 'x'.repeat(300), 'has,comma', 'line\nbreak', '\uD800lone') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

const caseArb = fc.record({
  header: headerArb,
  rows: fc.array(fc.tuple(idArb, fc.array(valueArb, { minLength: 6, maxLength: 6 }), fc.nat(6)), { maxLength: 40 }),
  policy: fc.constantFrom<MergePolicy>('last', 'first', 'reject'),
  valuePolicy: fc.constantFrom<ValuePolicy>({}, { onForbiddenChars: 'replace', replacement: '--' }, { onForbiddenChars: 'drop' }),
  maxBytes: fc.constantFrom(60, 120, 400, 50_000_000),
  maxRows: fc.constantFrom(1, 2, 3, 500_000),
  arenaChunkBytes: fc.constantFrom(1, 64, 4096),
});

interface Outcome {
  batches: { body: string; rows: number; firstLine: number; lastLine: number; ids: readonly string[]; origins: unknown; sha256: string }[];
  rejects: Omit<RejectedRow, 'fields'>[];
  warnings: RowWarning[];
  counters: unknown;
}

function records(header: readonly string[], rows: readonly [string, string[], number][]): InputRecord[] {
  const columns = Object.freeze(['id', ...header]);
  return rows.map(([id, values, cut], index) => {
    // Some rows are short (missing cells are absent, not ''), like a ragged CSV row.
    const width = Math.max(0, columns.length - (cut === 0 ? 2 : 0));
    const fields: Record<string, string> = {};
    for (let i = 0; i < width; i++) Object.defineProperty(fields, columns[i]!, { value: i === 0 ? id : values[i - 1] ?? '', enumerable: true, writable: true, configurable: true });
    return { source: index % 5 === 4 ? 'b.csv' : 'a.csv', line: index + 2, fields, columns };
  });
}

function observe(run: (ctx: RunContext) => Batch[]): Outcome {
  const ctx = new RunContext({ enforceRejectRate: false });
  const rejects: Omit<RejectedRow, 'fields'>[] = [];
  const warnings: RowWarning[] = [];
  ctx.events.on('reject', ({ fields: _fields, ...row }) => rejects.push(row));
  ctx.events.on('warning', (warning) => warnings.push(warning));
  let batches: Batch[];
  try {
    batches = run(ctx);
  } catch (error) {
    return { batches: [], rejects, warnings, counters: { error: (error as { code?: string }).code ?? String(error) } };
  }
  return {
    batches: batches.map((b) => ({ body: b.body.toString('latin1'), rows: b.rows, firstLine: b.firstLine, lastLine: b.lastLine, ids: b.ids, origins: b.origins, sha256: b.sha256 })),
    rejects,
    warnings,
    counters: { ...ctx.counters },
  };
}

test('the fused fast path gives the same batches, rejects, warnings and counters as the public steps chained', (t) => {
  fc.assert(
    fc.property(caseArb, ({ header, rows, policy, valuePolicy, maxBytes, maxRows, arenaChunkBytes }) => {
      const input = records(header, rows);
      const reference = observe((ctx) => {
        const step = chainSteps(
          chainSteps(createValidateStep({ idColumn: 'id', valuePolicy }, ctx), createMergeStep({ policy }, ctx)),
          createBatchStep({ maxBytes, maxRows }, ctx),
        );
        return runStep(step, input);
      });
      const fast = observe((ctx) => {
        const merge = new ArenaMerge({ idColumn: 'id', valuePolicy }, resolveMergeOptions({ policy }), ctx, arenaChunkBytes);
        for (const record of input) merge.push(record);
        const batches: Batch[] = [];
        const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes, maxRows }), ctx, (batch) => batches.push(batch));
        for (const _ of merge.drain(batcher, 3));
        batcher.flush();
        return batches;
      });
      t.deepEqual(fast, reference);
    }),
    { numRuns: 400 },
  );
});

test('many rows across many arena buffers (index growth, rehashing, duplicates far apart) match the public steps', (t) => {
  const columns = Object.freeze(['id', 'name', 'city', 'note']);
  const input: InputRecord[] = [];
  for (let i = 0; i < 6000; i++) {
    const id = `c-${(i * 7919) % 4500}`;
    input.push({ source: 'big.csv', line: i + 2, columns, fields: { id, name: `n${i % 13}`, city: i % 3 === 0 ? '' : 'Zürich', note: i % 17 === 0 ? 'a,b' : `#${i}` } });
  }
  for (const policy of ['last', 'first', 'reject'] as const) {
    const reference = observe((ctx) => runStep(chainSteps(chainSteps(createValidateStep({ idColumn: 'id' }, ctx), createMergeStep({ policy }, ctx)), createBatchStep({ maxRows: 1000 }, ctx)), input));
    const fast = observe((ctx) => {
      const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions({ policy }), ctx, 1000);
      for (const record of input) merge.push(record);
      const batches: Batch[] = [];
      const batcher = new ByteBatcher(resolveBatchOptions({ maxRows: 1000 }), ctx, (batch) => batches.push(batch));
      for (const _ of merge.drain(batcher));
      batcher.flush();
      return batches;
    });
    t.deepEqual(fast, reference, policy);
  }
});

test('regression: a batch whose first row lacks a column lays later rows out by column, not by row order', (t) => {
  const columns = Object.freeze(['id', 'a', 'b', 'c']);
  const input: InputRecord[] = [
    { source: 's', line: 2, columns, fields: { id: '1', a: 'x', b: '', c: 'z' } },
    { source: 's', line: 3, columns, fields: { id: '2', a: 'x', b: 'y', c: 'z' } },
    { source: 's', line: 4, columns, fields: { id: '3', a: '', b: 'y', c: '' } },
  ];
  const ctx = new RunContext();
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx);
  for (const record of input) merge.push(record);
  const batches: Batch[] = [];
  const batcher = new ByteBatcher(resolveBatchOptions(), ctx, (batch) => batches.push(batch));
  for (const _ of merge.drain(batcher));
  batcher.flush();
  t.is(batches[0]!.body.toString(), 'batch=thirdPartyId,a,c,b\n1,x,z\n2,x,z,y\n3,,,y\n');
});
