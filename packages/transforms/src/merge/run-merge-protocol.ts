/**
 * What the main thread and the run-merge worker (run-merge-worker.ts) say to each other. The worker posts chunks
 * of merged records on a MessagePort of its own, which the main thread's drain reads synchronously
 * (receiveMessageOnPort), waiting on `posted` (Atomics) between them; the main thread gives each chunk's buffers
 * back on the same port once the batcher is done with its rows, and only then may the worker post another
 * beyond RUN_CHUNKS_IN_FLIGHT.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from '../parallel/worker-threads.js';
import type { SpillRun, WorkerShapeIds } from './run-merge.js';

/** Chunks posted and not given back yet, at most. */
export const RUN_CHUNKS_IN_FLIGHT = 3;
/** A chunk is posted once its rows pass this many bytes or RUN_CHUNK_ROWS rows. */
export const RUN_CHUNK_BYTES = 1024 * 1024;
export const RUN_CHUNK_ROWS = 8192;
/** Per record in `meta`: kind, start, end, id bytes, shape (the main thread's id), source. */
export const RUN_META_FIELDS = 6;

export interface RunMergeInit {
  readonly dir: string;
  readonly runs: readonly SpillRun[];
  readonly workerShapes: WorkerShapeIds;
  readonly port: MessagePort;
  /** One Int32 on a SharedArrayBuffer: messages posted on `port` so far (the main thread waits on it). */
  readonly posted: Int32Array;
}

/**
 * Worker → main. `bytes` holds each record's row bytes followed by an LF (so rows handed on in order sit back
 * to back as batch lines); `numbers` holds line and seq per record; `extras` pairs a record index with its extra
 * text (JSON: raw id, origins, a conflict), in record order.
 */
export type RunMergeMessage =
  | {
      readonly type: 'records';
      readonly rows: number;
      readonly bytes: ArrayBuffer;
      readonly meta: Int32Array;
      readonly numbers: Float64Array;
      readonly extras: (number | string)[];
    }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly error: SerializedError };

/** Main → worker: a chunk's buffers, given back (its rows are copied where they go). */
export interface RunMergeCredit {
  readonly buffers: [ArrayBuffer, ArrayBuffer, ArrayBuffer];
}
