/**
 * The standard assembly: inputs → parse → map → validate → merge by id → batch → a sink of batches.
 * `bulkpipe split`, `validate` and `run` differ only in the sink. Cheap row steps are fused into one stream
 * (one hop per chunk instead of one per stage); parse and batch keep their own, because they do I/O-sized work.
 */
import { statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidOption } from '@bulkpipe/core';
import type { IdType, InputRecord, ValuePolicy } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import { stepToStream } from '../step-stream.js';
import { parseRecords } from '../parse/index.js';
import type { ParseInput, ParseOptions } from '../parse/index.js';
import { createMapStep } from '../map/index.js';
import type { Mapping } from '../map/index.js';
import { compileMapPlan } from '../map/map-plan.js';
import { compileHeader } from '../validate/header-plan.js';
import { resolveMergeOptions } from '../merge/index.js';
import type { MergeOptions } from '../merge/index.js';
import { ArenaMerge } from '../merge/arena-merge.js';
import { resolveBatchOptions } from '../batch/index.js';
import type { Batch, BatchOptions, ResolvedBatchOptions } from '../batch/index.js';
import { ByteBatcher } from '../batch/byte-batcher.js';
import { HEADER_ROOM, IN_PLACE_SLACK_BYTES } from '../batch/byte-batch-builder.js';
import { PresortedMerge } from '../merge/presorted-merge.js';
import type { ResolvedMergeOptions } from '../merge/merge-options.js';
import type { ValidateOptions } from '../validate/validate-options.js';
import { applyChunk, encodeInWorker } from '../parallel/encode-in-worker.js';
import type { EncodedChunk } from '../parallel/encoded-chunk.js';
import type { EncodeWorkerInit } from '../parallel/encode-worker-init.js';

/** Small batch caps still get merge buffers of a useful size (rows are copied in, a buffer per few rows is waste). */
const MIN_ARENA_CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Measured on the 1M-row reference export (bench/RESULTS.md, "Threads log").
 */
const DEFAULT_THREADS = 2;
/** Rows read before `--presorted` judges the reject rate ahead of a batch (RunContext's default minimum). */
const PRESORTED_REJECT_GATE_ROWS = 1000;

export interface BatchPipelineOptions {
  inputs: readonly ParseInput[];
  /** Header name of the id column (after mapping). */
  idColumn: string;
  /** @default 'thirdPartyId' */
  idType?: IdType;
  parse?: Omit<ParseOptions, 'sourceLabel'>;
  mapping?: Mapping;
  valuePolicy?: ValuePolicy;
  merge?: MergeOptions;
  batch?: Omit<BatchOptions, 'idType'>;
  /**
   * 2: parse, map, validate and encode run in a worker thread while the main thread merges and batches
   * (parallel/), and a spill's partitions are merged on both. Applies to file inputs and stdin (`'-'`: the worker
   * reads descriptor 0 itself), merged in memory, spilled or `--presorted`; Readables and iterables run on one
   * thread. Same output either way. @default 2
   */
  threads?: 1 | 2;
}

async function* readInputs(inputs: readonly ParseInput[], options: ParseOptions | undefined, ctx: RunContext): AsyncGenerator<InputRecord[]> {
  for (const input of inputs) yield* parseRecords(input, { ...options }, ctx);
}

/** The inputs when every one is a file path or '-' (the worker reads those itself); otherwise undefined. */
function workerInputs(inputs: readonly ParseInput[]): string[] | undefined {
  const paths: string[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string') return undefined;
    paths.push(input);
  }
  return paths;
}

/**
 * Checks each input's header against the configuration as soon as it is read — the mapping's columns and the
 * id column — so a wrong --id-column stops the run even when an input has no records at all.
 */
function checkHeaderUpFront(options: BatchPipelineOptions, idType: IdType): ParseOptions['onHeader'] {
  return (columns, source) => {
    options.parse?.onHeader?.(columns, source);
    const mapped = options.mapping ? compileMapPlan(options.mapping, columns, source).columns : columns;
    compileHeader(mapped, options.idColumn, idType, source);
  };
}

/**
 * Runs the whole pipeline into `sink` (an object-mode Writable taking `Batch[]` chunks). Resolves when the
 * sink has finished; rejects with the first fatal error (bad configuration, unreadable input, reject ceiling).
 *
 * Validate, merge and batch run as one fused stage over encoded bytes (see merge/arena-merge.ts): the same
 * output as chaining the public stages, without a JS object per held row.
 */
export async function runBatchPipeline(options: BatchPipelineOptions, ctx: RunContext, sink: Writable): Promise<void> {
  const idType = options.idType ?? 'thirdPartyId';
  const validate: ValidateOptions = { idColumn: options.idColumn, idType, valuePolicy: options.valuePolicy };
  const mergeOptions = resolveMergeOptions({ ...options.merge });
  const batchOptions = resolveBatchOptions({ ...options.batch, idType });
  const onHeader = checkHeaderUpFront(options, idType)!;
  const threads = options.threads ?? DEFAULT_THREADS;
  if (threads !== 1 && threads !== 2) throw invalidOption('threads', '1 or 2', threads);
  // File paths and '-' go to the encode worker, which reads stdin's descriptor itself (parallel/stdin-chunks.ts).
  const paths = workerInputs(options.inputs);
  const totalBytes = paths && !paths.includes('-') ? inputBytes(paths) : undefined;
  if (totalBytes !== undefined) ctx.expectInputBytes(totalBytes);
  const threaded = threads === 2 && paths !== undefined;
  // Merge buffers of one batch body each: a batch is built in place in the one its first row is in (the first
  // one's rows start far enough in for that), or in a drained one (see ByteBatcher).
  const arenaChunkBytes = Math.max(HEADER_ROOM + batchOptions.maxBytes, MIN_ARENA_CHUNK_BYTES);
  const merge = mergeOptions.presorted ? undefined : new ArenaMerge(validate, mergeOptions, ctx, arenaChunkBytes, HEADER_ROOM + IN_PLACE_SLACK_BYTES, threads);
  const stage = merge !== undefined ? mergeAndBatch(merge, batchOptions, ctx, onHeader, totalBytes) : presortedMergeAndBatch(validate, mergeOptions, batchOptions, ctx, onHeader);
  try {
    if (threaded) {
      const { delimiter, maxRecordBytes, recordsPerChunk } = options.parse ?? {};
      const init: EncodeWorkerInit = { inputs: paths, parse: { delimiter, maxRecordBytes, recordsPerChunk }, mapping: options.mapping, validate };
      await pipeline(encodeInWorker(init, ctx.signal), stage, sink, { signal: ctx.signal });
    } else {
      const input = readInputs(options.inputs, { ...options.parse, onHeader }, ctx);
      if (options.mapping) await pipeline(input, stepToStream(createMapStep(options.mapping, ctx)), stage, sink, { signal: ctx.signal });
      else await pipeline(input, stage, sink, { signal: ctx.signal });
    }
  } finally {
    merge?.dispose(); // a spill's temporary files go, whichever way the run ended
  }
  ctx.checkRejectRate();
  ctx.assertBooksBalance();
}

/** The inputs' size on disk, or undefined when one cannot be read now (the parser will say why). */
function inputBytes(files: readonly string[]): number | undefined {
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size;
    } catch {
      return undefined;
    }
  }
  return bytes;
}

/**
 * A generator stage, not a Duplex: pipeline() writes what it yields straight into the sink and waits for the
 * sink's backpressure, where a Duplex would buffer up to 16 chunks of 50 MB batches on its readable side.
 */
type BatchStage = (source: AsyncIterable<InputRecord | InputRecord[] | EncodedChunk>) => AsyncGenerator<Batch[]>;

/**
 * InputRecord chunks in, Batch arrays out. The reject ceiling is judged before the first merged row goes on:
 * the in-memory merge emits nothing before the input ends, so at that moment every parse and validation
 * reject is known, and a bad run sends nothing.
 */
function mergeAndBatch(merge: ArenaMerge, batchOptions: ResolvedBatchOptions, ctx: RunContext, onHeader: NonNullable<ParseOptions['onHeader']>, totalBytes: number | undefined): BatchStage {
  return async function* (source) {
    let estimated = totalBytes === undefined;
    for await (const chunk of source) {
      if (Array.isArray(chunk)) for (const record of chunk) merge.push(record);
      else if (isEncodedChunk(chunk)) applyChunk(chunk, merge, ctx, onHeader);
      else merge.push(chunk);
      if (!estimated && ctx.counters.read > 0 && merge.size > 0) {
        // The records so far tell the bytes per record: the inputs' size says about how many ids are coming.
        estimated = true;
        merge.expectRows((totalBytes! * ctx.counters.read) / Math.max(1, ctx.counters.bytesRead));
      }
    }
    let ready: Batch[] = [];
    const batcher = new ByteBatcher(
      batchOptions,
      ctx,
      (batch) => ready.push(batch),
      () => ctx.checkRejectRate(),
      (bytes) => merge.takeSpareBuffer(bytes),
      (src) => merge.claimBuffer(src),
    );
    let idle = 0;
    async function* batchesOf(rows: Generator<void>): AsyncGenerator<Batch[]> {
      for (const _ of rows) {
        if (ready.length === 0) {
          // A spilled merge works through its partitions between batches: let timers, progress and an abort in
          // now and then.
          if (++idle % 8 === 0) await yieldToEventLoop(ctx.signal);
          continue;
        }
        yield ready;
        ready = [];
      }
    }
    const waiting = (): boolean => ready.length > 0;
    // The rows held in memory go on first, now: their ids were all first seen before any that went to disk.
    yield* batchesOf(merge.drainHeld(batcher, 1024, waiting));
    if (merge.spilled) {
      // Then the spilled partitions are merged (on both threads when the run has two; the encode worker is done by
      // now), in the memory the held rows and the batcher give back. An empty chunk first: pipeline() holds on to
      // the last chunk it passed to the sink until the next one comes — a 50 MB body alive through the merge.
      batcher.shed();
      yield [];
      await merge.prepareDrain(ctx.signal);
      yield* batchesOf(merge.drainSpilled(batcher, 1024, waiting));
    }
    batcher.flush();
    if (ready.length > 0) yield ready;
  };
}

/**
 * `--presorted`: batches leave while the input is read. The reject ceiling is judged before each batch goes on
 * once enough rows were read to judge it (as the run context does mid-run), and at the end of input.
 */
function presortedMergeAndBatch(
  validate: ValidateOptions,
  mergeOptions: ResolvedMergeOptions,
  batchOptions: ResolvedBatchOptions,
  ctx: RunContext,
  onHeader: NonNullable<ParseOptions['onHeader']>,
): BatchStage {
  return async function* (source) {
    let ready: Batch[] = [];
    const batcher = new ByteBatcher(batchOptions, ctx, (batch) => ready.push(batch));
    const merge = new PresortedMerge(validate, mergeOptions, ctx, batcher);
    for await (const chunk of source) {
      if (isEncodedChunk(chunk)) {
        // Rows the encode worker read, validated and encoded (~4,000 a chunk): the batches they completed go on together.
        try {
          applyChunk(chunk, merge, ctx, onHeader);
        } catch (error) {
          // A row of the chunk stopped the run (INPUT_NOT_GROUPED): the batches cut before it still go on, as on one thread.
          if (ready.length > 0) yield ready;
          throw error;
        }
        if (ready.length === 0) continue;
        if (ctx.counters.read >= PRESORTED_REJECT_GATE_ROWS) ctx.checkRejectRate();
        yield ready;
        ready = [];
        continue;
      }
      for (const record of Array.isArray(chunk) ? chunk : [chunk]) {
        merge.push(record);
        if (ready.length === 0) continue;
        // Each batch is handed on as soon as it is cut, so a busy sink holds back the reading.
        if (ctx.counters.read >= PRESORTED_REJECT_GATE_ROWS) ctx.checkRejectRate();
        yield ready;
        ready = [];
      }
    }
    ctx.checkRejectRate();
    merge.flush();
    batcher.flush();
    if (ready.length > 0) yield ready;
  };
}

function isEncodedChunk(chunk: InputRecord | InputRecord[] | EncodedChunk): chunk is EncodedChunk {
  return !Array.isArray(chunk) && (chunk as EncodedChunk).type === 'chunk';
}

function yieldToEventLoop(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => setImmediate(() => (signal.aborted ? reject(signal.reason) : resolve())));
}

/** A sink that drops batches: `bulkpipe validate` runs every check without writing. */
export function discardBatches(onBatch?: (batch: Batch) => void): Writable {
  return new Writable({
    objectMode: true,
    write(chunk: Batch[], _encoding, callback) {
      if (onBatch) for (const batch of chunk) onBatch(batch);
      callback();
    },
  });
}
