import test from 'ava';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { chainSteps, runStep } from '../src/step.js';
import type { Step } from '../src/step.js';
import { flattenChunks, stepToIterable, stepToStream } from '../src/step-stream.js';

/** Emits each number twice and, at the end, how many it saw: outputs depend on push and flush. */
function doubler(): Step<number, number> {
  let seen = 0;
  return {
    push(item, emit) {
      seen++;
      emit(item);
      emit(item);
    },
    flush(emit) {
      emit(-seen);
    },
  };
}

async function collect<T>(stream: NodeJS.ReadableStream | AsyncIterable<T[] | T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of flattenChunks(stream as AsyncIterable<T[] | T>)) out.push(item);
  return out;
}

test('runStep drives a step with an array, flush included', (t) => {
  t.deepEqual(runStep(doubler(), [1, 2]), [1, 1, 2, 2, -2]);
});

test('chainSteps feeds the first step into the second, flushing both in order', (t) => {
  const plusOne: Step<number, number> = { push: (item, emit) => emit(item + 1), flush: (emit) => emit(100) };
  t.deepEqual(runStep(chainSteps(plusOne, doubler()), [1]), [2, 2, 100, 100, -2]);
});

test('the stream adapter accepts arrays and single items and emits arrays', async (t) => {
  const source = Readable.from([[1, 2], 3], { objectMode: true });
  const chunks: unknown[] = [];
  await pipeline(
    source,
    stepToStream(doubler()),
    new Writable({
      objectMode: true,
      write(chunk, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  t.true(chunks.every((chunk) => Array.isArray(chunk)));
  t.deepEqual(chunks.flat(), [1, 1, 2, 2, 3, 3, -3]);
});

test('a step that throws fails the pipeline with its error', async (t) => {
  const failing: Step<number, number> = {
    push() {
      throw new Error('boom at row');
    },
    flush() {},
  };
  await t.throwsAsync(pipeline(Readable.from([[1]], { objectMode: true }), stepToStream(failing), new Writable({ objectMode: true, write: (_c, _e, cb) => cb() })), {
    message: 'boom at row',
  });
});

test('an aborted pipeline stops with an AbortError', async (t) => {
  const controller = new AbortController();
  async function* endless() {
    for (let i = 0; ; i++) {
      if (i === 10) controller.abort();
      yield [i];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await t.throwsAsync(pipeline(endless(), stepToStream(doubler()), new Writable({ objectMode: true, write: (_c, _e, cb) => cb() }), { signal: controller.signal }), {
    name: 'AbortError',
  });
});

test('stream, iterable and array drivers give the same outputs for any chunking', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.integer(), { maxLength: 5 }), { maxLength: 20 }), async (chunks) => {
      const expected = runStep(doubler(), chunks.flat());
      const viaStream = await collect<number>(Readable.from(chunks, { objectMode: true }).compose(stepToStream(doubler())));
      const viaIterable = await collect<number>(stepToIterable(doubler(), chunks));
      t.deepEqual(viaStream, expected);
      t.deepEqual(viaIterable, expected);
    }),
    { numRuns: 100 },
  );
});
