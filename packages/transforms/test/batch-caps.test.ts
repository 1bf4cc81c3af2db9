import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { MAX_BATCH_BYTES, MAX_BATCH_ROWS } from '@bulkpipe/core';
import type { ProfileRow, RejectedRow } from '@bulkpipe/core';
import type { Batch } from '../src/batch/batch.js';
import { createBatchStep } from '../src/batch/batch-step.js';
import type { BatchOptions } from '../src/batch/batch-options.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { batchRowsArb, decodeBody } from './batch-helpers.js';

const rejects = new WeakMap<RunContext, RejectedRow[]>();
const rejectsOf = (ctx: RunContext): RejectedRow[] => rejects.get(ctx)!;

function batch(rows: Iterable<ProfileRow>, options: BatchOptions = {}): { batches: Batch[]; ctx: RunContext } {
  const ctx = new RunContext({ maxRejectRate: 1 });
  const seen: RejectedRow[] = [];
  rejects.set(ctx, seen);
  ctx.events.on('reject', (reject) => seen.push(reject));
  const batches = runStep(createBatchStep(options, ctx), rows);
  return { batches, ctx };
}

test('no batch reaches maxBytes or passes maxRows, no row is lost or reordered, and sent = rows in batches', (t) => {
  fc.assert(
    fc.property(batchRowsArb, fc.integer({ min: 20, max: 600 }), fc.integer({ min: 1, max: 12 }), (rows, maxBytes, maxRows) => {
      const { batches, ctx } = batch(rows, { maxBytes, maxRows });
      for (const out of batches) {
        assert.ok(out.body.length < maxBytes, `batch ${out.seq} is ${out.body.length} bytes, cap ${maxBytes}`);
        assert.ok(out.rows <= maxRows);
        assert.equal(out.rows, decodeBody(out.body).rows.length);
      }
      const sentIds = batches.flatMap((out) => out.ids);
      assert.equal(ctx.counters.sent, sentIds.length);
      assert.equal(ctx.counters.batches, batches.length);
      assert.equal(ctx.counters.sent + ctx.counters.rejected, rows.length);
      // Nothing lost or reordered: the sent ids are the input ids minus the rejected ones, in input order.
      const rejectedIds = new Set(rejectsOf(ctx).map((reject) => reject.id));
      assert.equal(rejectedIds.size, ctx.counters.rejected);
      assert.deepEqual(sentIds, rows.map((row) => row.id).filter((id) => !rejectedIds.has(id)));
      assert.deepEqual(batches.map((out) => out.seq), batches.map((_, i) => i + 1));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('a body of exactly maxBytes is one byte too many', (t) => {
  // `batch=thirdPartyId\n` is 19 bytes; each row `rN\n` is 3 bytes.
  const rows = Array.from({ length: 5 }, (_, i): ProfileRow => ({ id: `r${i}`, attributes: {}, origins: [{ source: 'in.csv', line: i + 2 }] }));
  t.deepEqual(batch(rows, { maxBytes: 19 + 3 * 3 }).batches.map((out) => out.rows), [2, 2, 1]);
  t.deepEqual(batch(rows, { maxBytes: 19 + 3 * 3 + 1 }).batches.map((out) => [out.rows, out.bytes]), [[3, 28], [2, 25]]);
});

test('a new attribute name grows the header, and that growth counts against the cap', (t) => {
  const rows: ProfileRow[] = [
    { id: 'a', attributes: { x: '1' }, origins: [{ source: 'in.csv', line: 2 }] },
    { id: 'b', attributes: { longname: '2' }, origins: [{ source: 'in.csv', line: 3 }] },
  ];
  // One batch: `batch=thirdPartyId,x,longname\n` (30) + `a,1\n` (4) + `b,,2\n` (5) = 39 bytes.
  t.deepEqual(batch(rows, { maxBytes: 40 }).batches.map((out) => out.bytes), [39]);
  // One byte less and the second row's header growth no longer fits: it opens the next batch.
  t.deepEqual(batch(rows, { maxBytes: 39 }).batches.map((out) => out.body.toString()), ['batch=thirdPartyId,x\na,1\n', 'batch=thirdPartyId,longname\nb,2\n']);
});

test('600,000 narrow rows make one batch of 500,000 rows and one of 100,000', (t) => {
  function* rows(): Generator<ProfileRow> {
    for (let i = 0; i < 600_000; i++) yield { id: `c-${i}`, attributes: { tier: 'gold' }, origins: [{ source: 'in.csv', line: i + 2 }] };
  }
  const { batches, ctx } = batch(rows());
  t.deepEqual(batches.map((out) => out.rows), [MAX_BATCH_ROWS, 100_000]);
  t.deepEqual(batches.map((out) => [out.firstLine, out.lastLine]), [[2, 500_001], [500_002, 600_001]]);
  t.true(batches.every((out) => out.bytes < MAX_BATCH_BYTES && out.bytes === out.body.length));
  t.is(ctx.counters.sent, 600_000);
  t.is(batches[1]!.ids[0], 'c-500000');
});

test('rows wide enough that 50 MB comes first: batches are cut strictly below 50,000,000 bytes, packed tight', (t) => {
  const value = 'v'.repeat(4000);
  function* rows(): Generator<ProfileRow> {
    for (let i = 0; i < 30_000; i++) yield { id: `c-${i}`, attributes: { blob: value }, origins: [{ source: 'in.csv', line: i + 2 }] };
  }
  const { batches, ctx } = batch(rows());
  t.true(batches.length >= 3);
  for (const [index, out] of batches.slice(0, -1).entries()) {
    t.true(out.bytes < MAX_BATCH_BYTES);
    const nextLineBytes = batches[index + 1]!.ids[0]!.length + 1 + value.length + 1;
    t.true(out.bytes + nextLineBytes >= MAX_BATCH_BYTES, `batch ${out.seq} (${out.bytes} bytes) could have taken another row`);
  }
  t.is(batches.reduce((sum, out) => sum + out.rows, 0), 30_000);
  t.is(ctx.counters.sent, 30_000);
});
