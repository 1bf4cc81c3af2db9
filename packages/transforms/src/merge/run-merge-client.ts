/**
 * The main thread's side of the run-merge worker (run-merge-worker.ts): starts it over the runs, reads the chunks
 * it posts — synchronously (receiveMessageOnPort), for the drain is a plain generator, waiting on the Atomics
 * counter the worker bumps after each post — and hands each chunk's slot back once its rows are settled.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import { deserializeError, startSiblingWorker } from '../parallel/worker-threads.js';
import type { SpillRun, WorkerShapeIds } from './run-merge.js';
import { RUN_CHUNK_ROWS, RUN_META_FIELDS, RUN_SLOT_BYTES, RUN_SLOTS } from './run-merge-protocol.js';
import type { RunMergeCredit, RunMergeInit, RunMergeMessage, RunSlots } from './run-merge-protocol.js';

/** Waiting this long for the next chunk means the worker is gone (a chunk takes it milliseconds). */
const STALL_MS = 120_000;
/** The worker holds one partition reader per run and little else on its heap. */
const YOUNG_GENERATION_MB = 8;

/** One chunk of merged records: record i's fields are `meta[i * RUN_META_FIELDS…]`, its line and seq `numbers[2i…]`. */
export interface RunChunk {
  readonly buf: Buffer;
  readonly meta: Int32Array;
  readonly numbers: Float64Array;
  readonly rows: number;
  /** Record index, extra text, … in record order. */
  readonly extras: readonly (number | string)[];
  /** The slot to hand back (release), or -1 for a record that came in memory of its own. */
  readonly slot: number;
}

export class RunMergeClient {
  readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly slotBytes: Buffer[];
  private readonly slotMeta: Int32Array[];
  private readonly slotNumbers: Float64Array[];
  private failure: unknown;
  private waited = 0;

  constructor(dir: string, runs: readonly SpillRun[], workerShapes: WorkerShapeIds) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const slots: RunSlots = {
      bytes: new SharedArrayBuffer(RUN_SLOTS * RUN_SLOT_BYTES),
      meta: new SharedArrayBuffer(RUN_SLOTS * RUN_CHUNK_ROWS * RUN_META_FIELDS * 4),
      numbers: new SharedArrayBuffer(RUN_SLOTS * RUN_CHUNK_ROWS * 2 * 8),
    };
    const each = <T>(make: (slot: number) => T): T[] => Array.from({ length: RUN_SLOTS }, (_, slot) => make(slot));
    this.slotBytes = each((s) => Buffer.from(slots.bytes, s * RUN_SLOT_BYTES, RUN_SLOT_BYTES));
    this.slotMeta = each((s) => new Int32Array(slots.meta, s * RUN_CHUNK_ROWS * RUN_META_FIELDS * 4, RUN_CHUNK_ROWS * RUN_META_FIELDS));
    this.slotNumbers = each((s) => new Float64Array(slots.numbers, s * RUN_CHUNK_ROWS * 2 * 8, RUN_CHUNK_ROWS * 2));
    const init: RunMergeInit = { dir, runs: [...runs], workerShapes, slots, port: port2, posted: this.posted };
    this.worker = startSiblingWorker(import.meta.url, 'run-merge-worker', { workerData: init, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker.once('error', (error) => (this.failure ??= error));
    this.worker.once('exit', (code) => (this.failure ??= new Error(`bulkpipe bug: the run-merge worker exited (code ${code}) before the runs were merged`)));
  }

  /**
   * The next chunk; `done` once every record came; undefined when none came within `ms` (let the event loop in:
   * the worker's exit or error is only seen there). Throws what the worker threw.
   */
  receive(ms: number): RunChunk | 'done' | undefined {
    const message = receiveWithin(this.port, this.posted, ms);
    if (message === undefined) {
      if (this.failure !== undefined) throw this.failure;
      // A caller that drains without ever letting the event loop run would not see the worker's exit.
      if ((this.waited += ms) > STALL_MS) throw new Error(`bulkpipe bug: the run-merge worker sent nothing for ${STALL_MS / 1000} s`);
      return undefined;
    }
    this.waited = 0;
    switch (message.type) {
      case 'error':
        throw deserializeError(message.error);
      case 'done':
        return 'done';
      case 'records': {
        const { slot, rows, extras } = message;
        return { buf: this.slotBytes[slot]!, meta: this.slotMeta[slot]!, numbers: this.slotNumbers[slot]!, rows, extras, slot };
      }
      case 'record':
        return { buf: Buffer.from(message.bytes), meta: message.meta, numbers: message.numbers, rows: 1, extras: message.extras, slot: -1 };
    }
  }

  /** Hands the chunk's slot back: its rows must be copied where they go first (DrainTarget.settle). */
  release(chunk: RunChunk): void {
    if (chunk.slot >= 0) this.port.postMessage({ slot: chunk.slot } satisfies RunMergeCredit);
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/**
 * The next message on `port`, waiting up to `ms` for one (Atomics on `posted`, which the sender bumps after each
 * post); undefined when none came.
 */
function receiveWithin(port: MessagePort, posted: Int32Array, ms: number): RunMergeMessage | undefined {
  const first = receiveMessageOnPort(port);
  if (first !== undefined) return first.message as RunMergeMessage;
  const seen = Atomics.load(posted, 0);
  const again = receiveMessageOnPort(port); // posted between the first look and the load
  if (again !== undefined) return again.message as RunMergeMessage;
  Atomics.wait(posted, 0, seen, ms);
  return receiveMessageOnPort(port)?.message as RunMergeMessage | undefined;
}
