/**
 * The run-merge worker: the k-way merge of a spilled merge's runs (run-merge.ts) on the second thread, while
 * the main thread batches what it merged. On one thread the merge itself — the heap, the readers, a copy per
 * record — was a third of the drain, and rows handed on one by one from 64 readers were each copied into the
 * batch on their own; here they arrive laid out back to back, as rows from the in-memory arena do.
 */
import { workerData } from 'node:worker_threads';
import { serializeError } from '../parallel/worker-threads.js';
import { RunMerge } from './run-merge.js';
import { RUN_CHUNK_BYTES, RUN_CHUNK_ROWS, RUN_CHUNKS_IN_FLIGHT, RUN_META_FIELDS } from './run-merge-protocol.js';
import type { RunMergeCredit, RunMergeInit, RunMergeMessage } from './run-merge-protocol.js';
import { SpillFiles } from './spill-files.js';
import { widened } from '../typed-arrays.js';

const init = workerData as RunMergeInit;
const port = init.port;
const files = new SpillFiles(init.dir, 'm-');

let credits = RUN_CHUNKS_IN_FLIGHT;
let wake: (() => void) | undefined;
const returned: RunMergeCredit['buffers'][] = [];
port.on('message', (credit: RunMergeCredit) => {
  returned.push(credit.buffers);
  credits++;
  wake?.();
  wake = undefined;
});

let bytes = Buffer.allocUnsafeSlow(RUN_CHUNK_BYTES + 64 * 1024);
let meta = new Int32Array(RUN_CHUNK_ROWS * RUN_META_FIELDS);
let numbers = new Float64Array(RUN_CHUNK_ROWS * 2);
let extras: (number | string)[] = [];
let rows = 0;
let used = 0;

function send(message: RunMergeMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(init.posted, 0, 1);
  Atomics.notify(init.posted, 0);
}

async function post(): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  credits--;
  const capacity = bytes.length;
  send({ type: 'records', rows, bytes: bytes.buffer as ArrayBuffer, meta, numbers, extras }, [bytes.buffer as ArrayBuffer, meta.buffer as ArrayBuffer, numbers.buffer as ArrayBuffer]);
  const [backBytes, backMeta, backNumbers] = returned.shift() ?? [];
  bytes = backBytes !== undefined && backBytes.byteLength >= capacity ? Buffer.from(backBytes) : Buffer.allocUnsafeSlow(capacity);
  meta = backMeta !== undefined ? new Int32Array(backMeta) : new Int32Array(RUN_CHUNK_ROWS * RUN_META_FIELDS);
  numbers = backNumbers !== undefined ? new Float64Array(backNumbers) : new Float64Array(RUN_CHUNK_ROWS * 2);
  extras = [];
  rows = 0;
  used = 0;
}

async function run(): Promise<void> {
  const merge = new RunMerge(files, init.runs, init.workerShapes);
  for (let reader = merge.next(); reader !== undefined; reader = merge.next()) {
    const length = reader.end - reader.start;
    if (used + length + 1 > bytes.length) {
      if (rows > 0) await post();
      // A record longer than a chunk (a row near Target's 64 KB profile limit, with a long id) gets a chunk of its own.
      if (length + 1 > bytes.length) bytes = Buffer.allocUnsafeSlow(length + 1);
    }
    if ((rows + 1) * RUN_META_FIELDS > meta.length) {
      meta = widened(meta, meta.length * 2);
      numbers = widened(numbers, numbers.length * 2);
    }
    const m = rows * RUN_META_FIELDS;
    meta[m] = reader.kind;
    meta[m + 1] = used;
    reader.buf.copy(bytes, used, reader.start, reader.end);
    used += length;
    meta[m + 2] = used;
    meta[m + 3] = reader.idBytes;
    meta[m + 4] = merge.shapeOf(reader);
    meta[m + 5] = reader.source;
    bytes[used++] = 0x0a;
    numbers[2 * rows] = reader.line;
    numbers[2 * rows + 1] = reader.seq;
    if (reader.extra !== undefined) extras.push(rows, reader.extra);
    rows++;
    if (rows >= RUN_CHUNK_ROWS || used >= RUN_CHUNK_BYTES) await post();
  }
  if (rows > 0) await post();
}

try {
  await run();
  send({ type: 'done' });
} catch (error) {
  files.abandon();
  send({ type: 'error', error: serializeError(error) });
}
port.close();
