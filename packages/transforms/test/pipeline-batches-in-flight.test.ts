/**
 * Regression: the merge-and-batch stage was a Duplex, whose readable side buffered up to 16 chunks of batches
 * (50 MB each at Target's cap) ahead of a slow sink — an upload waiting on the rate limit. The stage now yields
 * straight into the sink: only the batch being built, the one handed over and the sink's own buffer exist.
 */
import { Readable, Writable } from 'node:stream';
import test from 'ava';
import { RunContext } from '../src/run-context.js';
import { runBatchPipeline } from '../src/assemble/batch-pipeline.js';
import type { Batch } from '../src/batch/batch.js';

function csv(rows: number): string {
  let text = 'id,name\n';
  for (let i = 0; i < rows; i++) text += `id-${i},name ${i}\n`;
  return text;
}

for (const presorted of [false, true]) {
  test(`a slow sink holds back batch building (${presorted ? 'presorted' : 'in-memory'} merge)`, async (t) => {
    const ctx = new RunContext();
    let written = 0;
    let mostAhead = 0;
    const sink = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(chunk: Batch[], _encoding, callback) {
        mostAhead = Math.max(mostAhead, ctx.counters.batches - written);
        setTimeout(() => {
          written += chunk.length;
          callback();
        }, 2);
      },
    });
    await runBatchPipeline({ inputs: [Readable.from([csv(4000)])], idColumn: 'id', merge: { presorted }, batch: { maxRows: 50 } }, ctx, sink);
    t.is(written, 80);
    t.true(mostAhead <= 3, `${mostAhead} batches were built ahead of the sink`);
  });
}
