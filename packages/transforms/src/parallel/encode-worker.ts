/**
 * The encode worker's entry point: parses its inputs, maps, validates and percent-encodes each record into a
 * chunk buffer (the bytes the merge's arena holds), and posts chunks of rows with what the records raised
 * (parallel/encoded-chunk.ts). It waits for credit from the main thread, so at most MAX_CHUNKS_IN_FLIGHT
 * chunks are ever between the threads. Rejects and warnings are only recorded here; the main thread's
 * RunContext counts them and judges the reject ceiling.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../run-context.js';
import { resolveParseOptions } from '../parse/index.js';
import type { ParseOptions } from '../parse/index.js';
import { defaultSourceLabel, openInput } from '../parse/parse-input.js';
import { createSharedParseStep } from '../parse/parse-step.js';
import { createMapStep } from '../map/index.js';
import { RecordEncoder } from '../validate/record-encoder.js';
import { ShapeRegistry } from '../merge/row-shape.js';
import { ChunkBuffer, META_FIELDS } from './encoded-chunk.js';
import { FastLane } from './fast-lane.js';
import { plainFileChunks } from './plain-file-chunks.js';
import { stdinSource } from './stdin-chunks.js';
import type { ChunkEvent, CreditMessage, EncodedChunk, WorkerMessage } from './encoded-chunk.js';
import { serializeError } from './worker-threads.js';
import { CHUNK_BYTES, CHUNK_ROWS, MAX_CHUNKS_IN_FLIGHT } from './encode-worker-init.js';
import type { EncodeWorkerInit, InitMessage } from './encode-worker-init.js';
import { PREWARMED } from './encode-worker-prewarm.js';
import { widened } from '../typed-arrays.js';
import { SourceLabels } from '../merge/source-labels.js';

/** Input read per chunk by the fast lane: as parse-input's file reads (the chunk posts are checked after each). */
const READ_CHUNK_BYTES = 256 * 1024;

const port = parentPort!;
// A prewarmed worker (encode-worker-prewarm.ts) learns its work from the first message.
const init: EncodeWorkerInit =
  workerData === PREWARMED ? await new Promise<EncodeWorkerInit>((resolve) => port.once('message', (message: InitMessage) => resolve(message.init))) : (workerData as EncodeWorkerInit);
// The ceiling is the main thread's to judge, on its own counters.
const ctx = new RunContext({ enforceRejectRate: false });
const shapes = new ShapeRegistry();
let sentShapes = 0;
const sourceLabels = new SourceLabels();
/** Input labels, indexed by the source numbers in the chunk meta (posted with every chunk). */
const sources = sourceLabels.labels;

const buffer = new ChunkBuffer(CHUNK_BYTES + 256 * 1024);
let meta = new Int32Array(CHUNK_ROWS * 2 * META_FIELDS);
let lines = new Float64Array(CHUNK_ROWS * 2);
let rawIds: (number | string)[] = [];
let events: ChunkEvent[] = [];
let rows = 0;
/** Whether a chunk with rows has gone: until then a chunk goes after every read (see `feed`). */
let postedRows = false;

let credits = MAX_CHUNKS_IN_FLIGHT;
let wake: (() => void) | undefined;
/** Chunk buffers the main thread gave back with its credits ([bytes, meta, lines]), written again by `post`. */
const returned: ArrayBuffer[][] = [];
port.on('message', (message: CreditMessage) => {
  if (message.buffers !== undefined) returned.push(message.buffers);
  credits++;
  wake?.();
  wake = undefined;
});

ctx.events.on('reject', (row) => events.push({ kind: 'reject', beforeRow: rows, read: ctx.counters.read, bytesRead: ctx.counters.bytesRead, row }));
ctx.events.on('warning', (warning) => events.push({ kind: 'warning', beforeRow: rows, read: ctx.counters.read, bytesRead: ctx.counters.bytesRead, warning }));

const encoder = new RecordEncoder(init.validate, ctx, buffer, shapes);
const mapStep = init.mapping !== undefined ? createMapStep(init.mapping, ctx) : undefined;

function encodeOne(record: InputRecord): void {
  if (!encoder.encode(record)) return;
  const row = encoder.row;
  keepRow(row.end, row.idBytes, row.shape.id, sourceLabels.indexOf(record.source), record.line, row.idBytes !== row.id.length ? row.id : undefined);
}

/**
 * Adds the row just written at `buffer.rowStart` (ending at `end`) to the chunk's index; `rawId` when the id's
 * encoding differs from it. Every row writer of this worker ends here.
 */
function keepRow(end: number, idBytes: number, shape: number, source: number, line: number, rawId: string | undefined): void {
  if (rows * META_FIELDS === meta.length) grow();
  const at = rows * META_FIELDS;
  meta[at] = buffer.rowStart;
  meta[at + 1] = end;
  meta[at + 2] = idBytes;
  meta[at + 3] = shape;
  meta[at + 4] = source;
  lines[rows] = line;
  if (rawId !== undefined) rawIds.push(rows, rawId);
  // An LF after the row when there is room, as the merge's arena keeps rows: the main thread copies the chunk's
  // rows with one copy, and the batcher then copies runs of them as batch lines (ByteBatchBuilder).
  if (end < buffer.buf.length) buffer.buf[end++] = 0x0a;
  buffer.rowStart = end;
  rows++;
}

function grow(): void {
  meta = widened(meta, meta.length * 2);
  lines = widened(lines, lines.length * 2);
}

async function post(): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  credits--;
  const newShapes = shapes.shapes.slice(sentShapes).map((shape) => [...shape.names]);
  sentShapes = shapes.shapes.length;
  const chunk: EncodedChunk = {
    type: 'chunk',
    bytes: buffer.buf.buffer as ArrayBuffer,
    rows,
    meta,
    lines,
    rawIds,
    sources,
    newShapes,
    events,
    read: ctx.counters.read,
    bytesRead: ctx.counters.bytesRead,
  };
  const bytes = buffer.buf.length;
  const capacity = lines.length;
  port.postMessage(chunk satisfies WorkerMessage, [chunk.bytes, meta.buffer as ArrayBuffer, lines.buffer as ArrayBuffer]);
  // The posted buffers now belong to the main thread (detached here): the next chunk starts in buffers it gave
  // back (what they still hold past the rows written is never read), or fresh ones.
  const [backBytes, backMeta, backLines] = returned.shift() ?? [];
  buffer.buf = backBytes !== undefined && backBytes.byteLength >= bytes ? Buffer.from(backBytes) : Buffer.allocUnsafeSlow(bytes);
  buffer.rowStart = 0;
  meta = backMeta !== undefined && backMeta.byteLength === capacity * META_FIELDS * 4 ? new Int32Array(backMeta) : new Int32Array(capacity * META_FIELDS);
  lines = backLines !== undefined && backLines.byteLength === capacity * 8 ? new Float64Array(backLines) : new Float64Array(capacity);
  rawIds = [];
  events = [];
  if (rows > 0) postedRows = true;
  rows = 0;
}

/** One input through the fast lane, which hands the parse step (and encodeOne) what it does not take itself. */
async function readWithLane(input: string, parse: ParseOptions): Promise<void> {
  const label = defaultSourceLabel(input); // 'stdin' for '-', as on one thread
  const step = createSharedParseStep({ ...parse, sourceLabel: label, countBytes: false }, ctx);
  const source = sourceLabels.indexOf(label);
  const lane = new FastLane({
    step,
    encoder,
    target: buffer,
    keep: (end, idBytes, shape, line, rawId) => keepRow(end, idBytes, shape, source, line, rawId),
    emit: mapStep === undefined ? encodeOne : (record) => mapStep.push(record, encodeOne),
    mapStep,
    ctx,
    source: label,
    maxRecordBytes: resolveParseOptions(parse).maxRecordBytes,
    idType: init.validate.idType,
  });
  const feed = async (chunk: Buffer): Promise<void> => {
    lane.push(chunk);
    events.push({ kind: 'counters', beforeRow: rows, read: ctx.counters.read, bytesRead: ctx.counters.bytesRead });
    // The first rows go at once: the main thread sizes the merge's id table from them while it is still empty
    // (placed into the reserved table later, 5,000 rows cost ~40 ms of page faults while this thread waited).
    if (rows >= CHUNK_ROWS || buffer.rowStart >= CHUNK_BYTES || (rows > 0 && !postedRows)) await post();
  };
  const plain = input === '-' ? undefined : plainFileChunks(input, READ_CHUNK_BYTES);
  if (plain !== undefined) {
    for (const chunk of plain) {
      ctx.counters.bytesRead += chunk.length; // openInput counts the bytes it reads itself
      await feed(chunk);
    }
  } else {
    for await (const chunk of openInput(input === '-' ? stdinSource(READ_CHUNK_BYTES) : input, label, ctx)) {
      await feed(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  }
  lane.end();
}

async function run(): Promise<void> {
  const parse = { ...init.parse, onHeader: (columns: readonly string[], source: string) => events.push({ kind: 'header', beforeRow: rows, read: ctx.counters.read, bytesRead: ctx.counters.bytesRead, columns: [...columns], source }) };
  for (const input of init.inputs) await readWithLane(input, parse);
  mapStep?.flush(encodeOne);
  await post();
}

try {
  await run();
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
} catch (error) {
  // What the records raised before the failure goes first, as it would on one thread.
  try {
    await post();
  } finally {
    port.postMessage({ type: 'error', error: serializeError(error) } satisfies WorkerMessage);
  }
}
port.close();
