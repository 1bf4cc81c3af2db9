import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import fc from 'fast-check';
import type { ProfileRow } from '@bulkpipe/core';
import { createMergeStep, mergeStage } from '../src/merge/merge-step.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { plain, rowsArb } from './merge-helpers.js';

/** Cuts `rows` into chunks at the given sizes (cycled), the way upstream stages hand over arrays. */
function chunk<T>(rows: readonly T[], sizes: readonly number[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0, k = 0; i < rows.length; k++) {
    const size = sizes[k % sizes.length]!;
    chunks.push(rows.slice(i, i + size));
    i += size;
  }
  return chunks;
}

async function runStage(rows: readonly ProfileRow[], sizes: readonly number[], ctx: RunContext): Promise<ProfileRow[]> {
  const out: ProfileRow[] = [];
  await pipeline(
    Readable.from(chunk(rows, sizes)),
    mergeStage({ policy: 'reject' }, ctx),
    new Writable({
      objectMode: true,
      write(rowsChunk: ProfileRow[], _encoding, callback) {
        out.push(...rowsChunk);
        callback();
      },
    }),
  );
  return out;
}

test('in a real pipeline the output does not depend on how the input is chunked', async (t) => {
  await fc.assert(
    fc.asyncProperty(rowsArb, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), async (rows, sizes) => {
      const byStep = runStep(createMergeStep({ policy: 'reject' }, new RunContext({ maxRejectRate: 1 })), rows);
      const ctx = new RunContext({ maxRejectRate: 1 });
      ctx.counters.read = rows.length;
      const byStream = await runStage(rows, sizes, ctx);
      assert.deepEqual(plain(byStream), plain(byStep));
      assert.equal(ctx.counters.read, ctx.counters.rejected + ctx.counters.merged + byStream.length);
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('merging twice changes nothing (idempotence)', (t) => {
  fc.assert(
    fc.property(rowsArb, (rows) => {
      const once = runStep(createMergeStep({}, new RunContext({ maxRejectRate: 1 })), rows);
      const twice = runStep(createMergeStep({}, new RunContext({ maxRejectRate: 1 })), once);
      assert.deepEqual(plain(twice), plain(once));
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('a single-row id comes out with its values, names in order and its one origin', (t) => {
  const input: ProfileRow = { id: 'c-1', attributes: { b: '2', a: '1', c: 'x\0y' }, origins: [{ source: 'in.csv', line: 2 }] };
  const [out] = runStep(createMergeStep({}, new RunContext()), [input, { ...input, id: 'c-2', attributes: { b: '2', a: '1' } }]);
  t.deepEqual(plain([out!]), plain([input]));
});

test('at the end of input the held rows leave in chunks as downstream pulls them, not all at once', async (t) => {
  const rows = Array.from({ length: 10_000 }, (_, i): ProfileRow => ({ id: `c-${i % 7_000}`, attributes: { n: String(i) }, origins: [{ source: 'in.csv', line: i + 2 }] }));
  const chunkSizes: number[] = [];
  await pipeline(
    Readable.from(chunk(rows, [500])),
    mergeStage({}, new RunContext(), { chunkRows: 1_000 }),
    new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(rowsChunk: ProfileRow[], _encoding, callback) {
        chunkSizes.push(rowsChunk.length);
        setImmediate(callback);
      },
    }),
  );
  t.deepEqual(chunkSizes, [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000]);
});
