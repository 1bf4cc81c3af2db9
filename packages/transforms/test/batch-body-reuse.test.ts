/**
 * Batch bodies built in merge buffers the drain has freed — taken when a batch starts, or moved into one in the
 * middle of a batch that started in fresh memory — give the same batches as bodies of their own.
 */
import test from 'ava';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';
import { ByteBatchBuilder, HEADER_ROOM } from '../src/batch/byte-batch-builder.js';

const columns = Object.freeze(['id', 'name', 'city', 'note']);
const input: InputRecord[] = [];
for (let i = 0; i < 20_000; i++) {
  const id = `c-${(i * 7919) % 15_000}`;
  input.push({ source: 'a.csv', line: i + 2, columns, fields: { id, name: `n${i % 13}`, city: i % 3 === 0 ? '' : 'Zürich', note: i % 7 === 0 ? '' : `#${i}-${'z'.repeat(i % 90)}` } });
}

function run(maxBytes: number, reuse: boolean): { bodies: string[]; counters: unknown } {
  const ctx = new RunContext({ enforceRejectRate: false });
  // One body per merge buffer, as runBatchPipeline sizes them.
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx, HEADER_ROOM + maxBytes);
  for (const record of input) merge.push(record);
  const batches: Batch[] = [];
  const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes }), ctx, (batch) => batches.push(batch), undefined, reuse ? (bytes) => merge.takeSpareBuffer(bytes) : undefined);
  for (const _ of merge.drain(batcher));
  batcher.flush();
  return { bodies: batches.map((batch) => `${batch.sha256} ${batch.rows} ${batch.firstLine}-${batch.lastLine} ${batch.body.toString('latin1')}`), counters: { ...ctx.counters } };
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
      t.deepEqual(run(maxBytes, true), run(maxBytes, false), `maxBytes ${maxBytes}`);
    }
  } finally {
    ByteBatchBuilder.prototype.relocate = relocate;
  }
  t.true(moves > 0, 'some batch moved into a freed buffer mid-way');
});
