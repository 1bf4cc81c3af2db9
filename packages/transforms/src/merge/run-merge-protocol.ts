/**
 * What the main thread and the run-merge worker (run-merge-worker.ts) say to each other. The worker writes chunks
 * of merged records into slots of shared memory and posts a note per chunk on a MessagePort of its own, which the
 * main thread's drain reads synchronously (receiveMessageOnPort), waiting on `posted` (Atomics) between notes; the
 * main thread hands a slot back once the batcher is done with its rows. Shared slots, not transferred buffers:
 * every ArrayBuffer transferred in counted as fresh external memory on the receiving thread, and ~700 of them over
 * a 5M-row drain kept V8 starting full GCs for "external memory pressure".
 */
import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from '../parallel/worker-threads.js';
import type { SpillRun, WorkerShapeIds } from './run-merge.js';

/** Slots of shared memory: chunks written and not handed back yet, at most. */
export const RUN_SLOTS = 3;
/** A chunk is posted once its rows pass this many bytes or RUN_CHUNK_ROWS rows. */
export const RUN_CHUNK_BYTES = 1024 * 1024;
export const RUN_CHUNK_ROWS = 8192;
/** A slot's bytes: a chunk, and room for the record that passes RUN_CHUNK_BYTES (longer ones come alone, see below). */
export const RUN_SLOT_BYTES = RUN_CHUNK_BYTES + 256 * 1024;
/** Per record in `meta`: kind, start, end, id bytes, shape (the main thread's id), source. */
export const RUN_META_FIELDS = 6;

/** The shared memory of the slots, made by the main thread: slot s is `[s * size, (s + 1) * size)` of each. */
export interface RunSlots {
  readonly bytes: SharedArrayBuffer;
  /** Int32, RUN_CHUNK_ROWS * RUN_META_FIELDS per slot. */
  readonly meta: SharedArrayBuffer;
  /** Float64, line and seq per record, RUN_CHUNK_ROWS * 2 per slot. */
  readonly numbers: SharedArrayBuffer;
}

export interface RunMergeInit {
  readonly dir: string;
  readonly runs: readonly SpillRun[];
  readonly workerShapes: WorkerShapeIds;
  readonly slots: RunSlots;
  readonly port: MessagePort;
  /** One Int32 on a SharedArrayBuffer: messages posted on `port` so far (the main thread waits on it). */
  readonly posted: Int32Array;
}

/**
 * Worker → main. `records`: `rows` records in slot `slot`, each one's row bytes followed by an LF (rows handed on in
 * order sit back to back as batch lines); `extras` pairs a record index with its extra text (JSON: raw id, origins,
 * a conflict), in record order. `record`: one record too long for a slot, in memory of its own (no slot to hand back).
 */
export type RunMergeMessage =
  | { readonly type: 'records'; readonly slot: number; readonly rows: number; readonly extras: (number | string)[] }
  | { readonly type: 'record'; readonly bytes: ArrayBuffer; readonly meta: Int32Array; readonly numbers: Float64Array; readonly extras: (number | string)[] }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly error: SerializedError };

/** Main → worker: slot `slot` is free again (its rows are copied where they go). */
export interface RunMergeCredit {
  readonly slot: number;
}
