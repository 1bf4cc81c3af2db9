/**
 * The one adapter from a step to Node streams and async iterables.
 *
 * Object-mode streams in bulkpipe carry **arrays** of items (row chunks): one stream hop per row costs
 * more than the work most stages do on it. The adapter accepts either an array or a single item per
 * chunk, and always emits arrays.
 */
import { Transform } from 'node:stream';
import type { Emit, Step } from './step.js';

export interface StepStreamOptions {
  /** How many chunks (arrays) may wait in each buffer. @default 16 */
  highWaterMark?: number;
}

export function stepToStream<In, Out>(step: Step<In, Out>, options: StepStreamOptions = {}): Transform {
  const highWaterMark = options.highWaterMark ?? 16;
  let outputs: Out[] = [];
  const emit: Emit<Out> = (item) => {
    outputs.push(item);
  };
  const take = (): Out[] => {
    const taken = outputs;
    outputs = [];
    return taken;
  };
  return new Transform({
    objectMode: true,
    highWaterMark,
    transform(chunk: In | In[], _encoding, callback) {
      try {
        if (Array.isArray(chunk)) for (const item of chunk) step.push(item, emit);
        else step.push(chunk, emit);
      } catch (error) {
        outputs = [];
        callback(error as Error);
        return;
      }
      const taken = take();
      callback(null, taken.length > 0 ? taken : undefined);
    },
    flush(callback) {
      try {
        step.flush(emit);
      } catch (error) {
        callback(error as Error);
        return;
      }
      const taken = take();
      callback(null, taken.length > 0 ? taken : undefined);
    },
  });
}

/**
 * Runs a step over an async (or sync) iterable of items or item arrays, yielding arrays of outputs.
 * Usable as a `pipeline()` stage: `pipeline(source, (input) => stepToIterable(step, input), sink)`.
 */
export async function* stepToIterable<In, Out>(
  step: Step<In, Out>,
  source: AsyncIterable<In | In[]> | Iterable<In | In[]>,
): AsyncGenerator<Out[]> {
  let outputs: Out[] = [];
  const emit: Emit<Out> = (item) => {
    outputs.push(item);
  };
  for await (const chunk of source) {
    if (Array.isArray(chunk)) for (const item of chunk) step.push(item, emit);
    else step.push(chunk, emit);
    if (outputs.length > 0) {
      const taken = outputs;
      outputs = [];
      yield taken;
    }
  }
  step.flush(emit);
  if (outputs.length > 0) yield outputs;
}

/** Flattens a stream or iterable of item arrays into single items, for callers that want one at a time. */
export async function* flattenChunks<T>(source: AsyncIterable<T[] | T>): AsyncGenerator<T> {
  for await (const chunk of source) {
    if (Array.isArray(chunk)) yield* chunk;
    else yield chunk;
  }
}
