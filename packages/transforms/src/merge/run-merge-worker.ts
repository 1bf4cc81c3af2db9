/**
 * The run-merge worker: the k-way merge of a spilled merge's runs (run-merge.ts) on the second thread, while
 * the main thread batches what it merged. On one thread the merge itself — the heap, the readers, a copy per
 * record — was a third of the drain, and rows handed on one by one from 64 readers were each copied into the
 * batch on their own; here they arrive laid out back to back, as rows from the in-memory arena do.
 */
import { workerData } from 'node:worker_threads';
import { serializeError } from '../parallel/worker-threads.js';
import { RunMerge } from './run-merge.js';
import { RUN_CHUNK_BYTES, RUN_CHUNK_ROWS, RUN_META_FIELDS, RUN_SLOT_BYTES, RUN_SLOTS } from './run-merge-protocol.js';
import type { RunMergeCredit, RunMergeInit, RunMergeMessage } from './run-merge-protocol.js';
import type { SpillReader } from './spill-file.js';
import { SpillFiles } from './spill-files.js';

const init = workerData as RunMergeInit;
const port = init.port;
const files = new SpillFiles(init.dir, 'm-');

const free: number[] = Array.from({ length: RUN_SLOTS }, (_, slot) => slot);
let wake: (() => void) | undefined;
port.on('message', (credit: RunMergeCredit) => {
  free.push(credit.slot);
  wake?.();
  wake = undefined;
});

/** The slot being filled: its bytes, meta and numbers as views of the shared memory. */
let slot = free.shift()!;
let bytes = slotBytes(slot);
let meta = slotMeta(slot);
let numbers = slotNumbers(slot);
let extras: (number | string)[] = [];
let rows = 0;
let used = 0;

function slotBytes(s: number): Buffer {
  return Buffer.from(init.slots.bytes, s * RUN_SLOT_BYTES, RUN_SLOT_BYTES);
}
function slotMeta(s: number): Int32Array {
  return new Int32Array(init.slots.meta, s * RUN_CHUNK_ROWS * RUN_META_FIELDS * 4, RUN_CHUNK_ROWS * RUN_META_FIELDS);
}
function slotNumbers(s: number): Float64Array {
  return new Float64Array(init.slots.numbers, s * RUN_CHUNK_ROWS * 2 * 8, RUN_CHUNK_ROWS * 2);
}

function send(message: RunMergeMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(init.posted, 0, 1);
  Atomics.notify(init.posted, 0);
}

/** Posts the slot's chunk and moves to a free slot, waiting for the main thread to hand one back. */
async function post(): Promise<void> {
  send({ type: 'records', slot, rows, extras });
  while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  slot = free.shift()!;
  bytes = slotBytes(slot);
  meta = slotMeta(slot);
  numbers = slotNumbers(slot);
  extras = [];
  rows = 0;
  used = 0;
}

/** Writes the reader's record at `at` of `into` (LF after it) and its fields at record index `row`. */
function place(merge: RunMerge, reader: SpillReader, into: Buffer, at: number, m: Int32Array, n: Float64Array, row: number, notes: (number | string)[]): number {
  const end = at + reader.buf.copy(into, at, reader.start, reader.end);
  const f = row * RUN_META_FIELDS;
  m[f] = reader.kind;
  m[f + 1] = at;
  m[f + 2] = end;
  m[f + 3] = reader.idBytes;
  m[f + 4] = merge.shapeOf(reader);
  m[f + 5] = reader.source;
  into[end] = 0x0a;
  n[2 * row] = reader.line;
  n[2 * row + 1] = reader.seq;
  if (reader.extra !== undefined) notes.push(row, reader.extra);
  return end + 1;
}

async function run(): Promise<void> {
  const merge = new RunMerge(files, init.runs, init.workerShapes);
  for (let reader = merge.next(); reader !== undefined; reader = merge.next()) {
    const length = reader.end - reader.start;
    if (length + 1 > RUN_SLOT_BYTES - RUN_CHUNK_BYTES) {
      // Longer than any slot has room for past a chunk (a row near Target's profile limit with a long id, or
      // over it): alone, in memory of its own, after the records before it.
      if (rows > 0) await post();
      const own = Buffer.allocUnsafeSlow(length + 1);
      const ownMeta = new Int32Array(RUN_META_FIELDS);
      const ownNumbers = new Float64Array(2);
      const notes: (number | string)[] = [];
      place(merge, reader, own, 0, ownMeta, ownNumbers, 0, notes);
      send({ type: 'record', bytes: own.buffer as ArrayBuffer, meta: ownMeta, numbers: ownNumbers, extras: notes }, [own.buffer as ArrayBuffer]);
      continue;
    }
    used = place(merge, reader, bytes, used, meta, numbers, rows, extras);
    rows++;
    if (rows >= RUN_CHUNK_ROWS || used >= RUN_CHUNK_BYTES) await post();
  }
  if (rows > 0) send({ type: 'records', slot, rows, extras });
}

try {
  await run();
  send({ type: 'done' });
} catch (error) {
  files.abandon();
  send({ type: 'error', error: serializeError(error) });
}
port.close();
