/**
 * The main thread's side of the encode worker: starts it, yields its chunks as they come (handing back one
 * credit per chunk taken, with the chunk's buffers for the worker to write again, so memory between the threads
 * stays bounded) and replays each chunk into the merge and the run context. The worker is terminated however
 * the run ends: done, failed or aborted.
 */
import type { Worker } from 'node:worker_threads';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import { META_FIELDS } from './encoded-chunk.js';
import type { ChunkEvent, CreditMessage, EncodedChunk, WorkerMessage } from './encoded-chunk.js';
import { deserializeError, startSiblingWorker } from './worker-threads.js';
import type { EncodeWorkerInit, InitMessage } from './encode-worker-init.js';
import { WORKER_LIMITS, takePrewarmedWorker } from './encode-worker-prewarm.js';

/** The worker the CLI started early (encode-worker-prewarm.ts), given its init; undefined when there is none. */
function prewarmedWorker(init: EncodeWorkerInit): Worker | undefined {
  const worker = takePrewarmedWorker();
  worker?.postMessage({ type: 'init', init } satisfies InitMessage);
  return worker;
}

export async function* encodeInWorker(init: EncodeWorkerInit, signal: AbortSignal): AsyncGenerator<EncodedChunk> {
  if (signal.aborted) throw aborted(signal);
  const worker = prewarmedWorker(init) ?? startSiblingWorker(import.meta.url, 'encode-worker', { workerData: init, resourceLimits: WORKER_LIMITS });
  const queue: WorkerMessage[] = [];
  let failure: unknown;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: WorkerMessage) => {
    queue.push(message);
    // Nothing follows: the thread's memory can go while the chunks still queued here are merged.
    if (message.type === 'done') void worker.terminate();
    notify();
  });
  worker.on('error', (error) => {
    failure ??= error;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  const onAbort = (): void => {
    failure = aborted(signal);
    notify();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length === 0 && failure === undefined && !exited) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw failure;
      const message = queue.shift();
      if (message === undefined) throw new Error('bulkpipe bug: the encode worker exited without finishing');
      if (message.type === 'done') return;
      if (message.type === 'error') throw deserializeError(message.error);
      yield message;
      // The consumer is done with the chunk (its rows were copied into the merge): its buffers go back with the
      // credit. Left here they would wait for a main-thread GC, tens of MB at the peak; the worker writes its next
      // chunks into them.
      const buffers = [message.bytes, message.meta.buffer as ArrayBuffer, message.lines.buffer as ArrayBuffer];
      worker.postMessage({ type: 'credit', buffers } satisfies CreditMessage, buffers);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

/** What takes a chunk's encoded rows: the merge by id (ArenaMerge), or the grouped-input merge (PresortedMerge). */
export interface EncodedRowSink {
  /** Registers a shape the worker interned; returns its id here (the same id when interned in order). */
  addShape(names: readonly string[]): number;
  /** The chunk's rows `src[from, to)`, about to be handed over one by one with `pushEncoded`. */
  appendEncoded(src: Buffer, from: number, to: number): void;
  /** One row of that chunk: `[start, end)` in `src`, `rawId` the raw id when its encoding differs. */
  pushEncoded(start: number, end: number, idBytes: number, shape: number, source: string, line: number, rawId: string | undefined): void;
}

/**
 * Replays one chunk: shapes first, then the rows in order with each recorded header, reject and warning
 * before the row that followed it, the counters as they were at each event.
 */
export function applyChunk(chunk: EncodedChunk, merge: EncodedRowSink, ctx: RunContext, onHeader: (columns: readonly string[], source: string) => void): void {
  for (const names of chunk.newShapes) merge.addShape(names);
  const src = Buffer.from(chunk.bytes);
  const { meta, lines, rawIds, sources, events } = chunk;
  if (chunk.rows > 0) {
    // The rows lie side by side from the first one's start; the byte after the last is its LF, if it has one.
    const end = meta[(chunk.rows - 1) * META_FIELDS + 1]!;
    merge.appendEncoded(src, meta[0]!, Math.min(end + 1, src.length));
  }
  let event = 0;
  let raw = 0;
  for (let i = 0; i < chunk.rows; i++) {
    while (event < events.length && events[event]!.beforeRow <= i) replay(events[event++]!, ctx, onHeader);
    let rawId: string | undefined;
    if (raw < rawIds.length && rawIds[raw] === i) {
      rawId = rawIds[raw + 1] as string;
      raw += 2;
    }
    const at = i * META_FIELDS;
    merge.pushEncoded(meta[at]!, meta[at + 1]!, meta[at + 2]!, meta[at + 3]!, sources[meta[at + 4]!]!, lines[i]!, rawId);
  }
  while (event < events.length) replay(events[event++]!, ctx, onHeader);
  ctx.counters.read = chunk.read;
  ctx.counters.bytesRead = chunk.bytesRead;
}

function replay(event: ChunkEvent, ctx: RunContext, onHeader: (columns: readonly string[], source: string) => void): void {
  ctx.counters.read = event.read;
  ctx.counters.bytesRead = event.bytesRead;
  if (event.kind === 'header') onHeader(event.columns, event.source);
  else if (event.kind === 'counters') return;
  else if (event.kind === 'reject') ctx.reject(event.row);
  else ctx.warn(event.warning);
}

function aborted(signal: AbortSignal): BulkpipeError {
  return new BulkpipeError(ErrorCode.ABORTED, 'Reading the input was aborted.', {}, { cause: signal.reason });
}
