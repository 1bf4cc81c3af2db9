/**
 * Batch bodies built in merge buffers the drain has freed — taken when a batch starts, or moved into one in the
 * middle of a batch that started in fresh memory — or in the memory of released batches (releaseBatch) give the
 * same batches as bodies of their own.
 */
import test from 'ava';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { ByteBatcher, releaseBatch } from '../src/batch/byte-batcher.js';
import { ByteBatchBuilder, HEADER_ROOM } from '../src/batch/byte-batch-builder.js';

const columns = Object.freeze(['id', 'name', 'city', 'note']);
const input: InputRecord[] = [];
for (let i = 0; i < 20_000; i++) {
  const id = `c-${(i * 7919) % 15_000}`;
  input.push({ source: 'a.csv', line: i + 2, columns, fields: { id, name: `n${i % 13}`, city: i % 3 === 0 ? '' : 'Zürich', note: i % 7 === 0 ? '' : `#${i}-${'z'.repeat(i % 90)}` } });
}

/** What a batch is, read at once (a released batch's memory may be built in next). */
function snapshot(batch: Batch): string {
  return `${batch.sha256} ${batch.rows} ${batch.firstLine}-${batch.lastLine} ${batch.ids.join('|')} ${JSON.stringify(batch.origins)} ${batch.body.toString('latin1')}`;
}

interface RunOptions {
  /** Take the merge's freed buffers. */
  reuse?: boolean;
  /** Let batches be built in place in the merge buffer their first row is in, as runBatchPipeline does. */
  inPlace?: boolean;
  /** Release each batch as soon as it is handed on. */
  release?: boolean;
}

function run(maxBytes: number, { reuse = false, inPlace = false, release = false }: RunOptions): { bodies: string[]; counters: unknown } {
  const ctx = new RunContext({ enforceRejectRate: false });
  // One body per merge buffer, as runBatchPipeline sizes them (with room in front of the first one's rows when in place).
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx, HEADER_ROOM + maxBytes, inPlace ? HEADER_ROOM + 1024 * 1024 : 0);
  for (const record of input) merge.push(record);
  const bodies: string[] = [];
  const batcher = new ByteBatcher(
    resolveBatchOptions({ maxBytes }),
    ctx,
    (batch) => {
      bodies.push(snapshot(batch));
      if (release) releaseBatch(batch);
    },
    undefined,
    reuse ? (bytes) => merge.takeSpareBuffer(bytes) : undefined,
    inPlace ? (src) => merge.claimBuffer(src) : undefined,
  );
  for (const _ of merge.drain(batcher));
  batcher.flush();
  return { bodies, counters: { ...ctx.counters } };
}

test('bodies in freed merge buffers, moved mid-batch or not, give the same batches as fresh bodies', (t) => {
  const relocate = ByteBatchBuilder.prototype.relocate;
  let moves = 0;
  ByteBatchBuilder.prototype.relocate = function (this: ByteBatchBuilder, into: Buffer) {
    moves++;
    relocate.call(this, into);
  };
  try {
    for (const maxBytes of [20_000, 70_000, 250_000]) {
      t.deepEqual(run(maxBytes, { reuse: true }), run(maxBytes, {}), `maxBytes ${maxBytes}`);
    }
  } finally {
    ByteBatchBuilder.prototype.relocate = relocate;
  }
  t.true(moves > 0, 'some batch moved into a freed buffer mid-way');
});

test('batches released the moment they are handed on give the same batches — whether built fresh, in freed merge buffers or in place', (t) => {
  for (const maxBytes of [20_000, 70_000, 250_000, 1_500_000]) {
    const reference = run(maxBytes, {});
    for (const reuse of [false, true]) {
      for (const inPlace of [false, true]) {
        t.deepEqual(run(maxBytes, { reuse, inPlace, release: true }), reference, `maxBytes ${maxBytes}, reuse ${reuse}, in place ${inPlace}`);
      }
    }
  }
});

test('a released body is built in again, and releasing a batch twice changes nothing', (t) => {
  const ctx = new RunContext({ enforceRejectRate: false });
  const maxBytes = 70_000;
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx, HEADER_ROOM + maxBytes);
  for (const record of input) merge.push(record);
  const memory: ArrayBufferLike[] = [];
  const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes }), ctx, (batch) => {
    memory.push(batch.body.buffer);
    releaseBatch(batch);
    releaseBatch(batch); // a second release of the same batch changes nothing
  });
  for (const _ of merge.drain(batcher));
  batcher.flush();
  t.true(memory.length > 4);
  // Fresh bodies, each released at once: the next batch is built in the one before's memory.
  t.is(new Set(memory).size, 1);
});

test('after shed the batch under way leaves the memory it was built in, and the batches stay the same', (t) => {
  const maxBytes = 70_000;
  const reference = run(maxBytes, {});
  const ctx = new RunContext({ enforceRejectRate: false });
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx, HEADER_ROOM + maxBytes);
  for (const record of input) merge.push(record);
  const bodies: string[] = [];
  const memory: ArrayBufferLike[] = [];
  const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes }), ctx, (batch) => {
    bodies.push(snapshot(batch));
    memory.push(batch.body.buffer);
    releaseBatch(batch);
  });
  let rows = 0;
  let shedAt = -1;
  for (const _ of merge.drain(batcher, 1)) {
    // As runBatchPipeline does before a spill's partitions are merged: with a batch under way.
    if (++rows === 3000) {
      shedAt = memory.length;
      batcher.shed();
    }
  }
  batcher.flush();
  t.deepEqual({ bodies, counters: { ...ctx.counters } }, reference);
  t.true(shedAt > 1 && memory.length > shedAt + 1);
  // Released at once, every batch before was built in the first one's memory; the one under way moved out of it.
  t.is(new Set(memory.slice(0, shedAt)).size, 1);
  t.not(memory[shedAt], memory[0]);
});
