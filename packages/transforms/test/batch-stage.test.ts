import { setImmediate as nextTick } from 'node:timers/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import type { ProfileRow } from '@bulkpipe/core';
import type { Batch } from '../src/batch/batch.js';
import { batchStage, createBatchStep } from '../src/batch/batch-step.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { stepToIterable } from '../src/step-stream.js';

function* rowChunks(count: number, chunkSize: number): Generator<ProfileRow[]> {
  for (let start = 0; start < count; start += chunkSize) {
    const chunk: ProfileRow[] = [];
    for (let i = start; i < Math.min(count, start + chunkSize); i++) {
      chunk.push({ id: `c-${i}`, attributes: { tier: i % 3 === 0 ? 'gold' : 'silver', n: String(i) }, origins: [{ source: 'in.csv', line: i + 2 }] });
    }
    yield chunk;
  }
}

test('in a real pipeline the stage gives the same batches as the step driven with an array', async (t) => {
  const ctx = new RunContext();
  const streamed: Batch[] = [];
  await pipeline(
    Readable.from(rowChunks(5_000, 333)),
    batchStage({ maxBytes: 10_000 }, ctx),
    new Writable({
      objectMode: true,
      write(chunk: Batch[], _encoding, callback) {
        streamed.push(...chunk);
        callback();
      },
    }),
  );
  const direct = runStep(createBatchStep({ maxBytes: 10_000 }, new RunContext()), [...rowChunks(5_000, 5_000)][0]!);
  t.deepEqual(streamed.map((batch) => batch.sha256), direct.map((batch) => batch.sha256));
  t.is(ctx.counters.sent, 5_000);
  t.is(ctx.counters.batches, streamed.length);
});

test('a slow consumer holds the batcher back: finished batches do not pile up in memory', async (t) => {
  const ctx = new RunContext();
  let consumed = 0;
  let mostAhead = 0;
  await pipeline(
    Readable.from(rowChunks(20_000, 100)),
    batchStage({ maxRows: 100 }, ctx),
    new Writable({
      objectMode: true,
      highWaterMark: 1,
      async write(chunk: Batch[], _encoding, callback) {
        mostAhead = Math.max(mostAhead, ctx.counters.batches - consumed);
        await nextTick();
        consumed += chunk.length;
        callback();
      },
    }),
  );
  t.is(consumed, 200);
  t.true(mostAhead <= 4, `${mostAhead} batches were built ahead of the consumer`);
});

test('the step also runs over an async iterable', async (t) => {
  const out: Batch[] = [];
  for await (const batches of stepToIterable(createBatchStep({ maxRows: 7 }, new RunContext()), rowChunks(20, 6))) out.push(...batches);
  t.deepEqual(out.map((batch) => batch.rows), [7, 7, 6]);
});
