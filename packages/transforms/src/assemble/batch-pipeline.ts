/**
 * The standard assembly: inputs → parse → map → validate → merge by id → batch → a sink of batches.
 * `bulkpipe split`, `validate` and `run` differ only in the sink. Cheap row steps are fused into one stream
 * (one hop per chunk instead of one per stage); parse and batch keep their own, because they do I/O-sized work.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IdType, InputRecord, ProfileRow, ValuePolicy } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import { chainSteps } from '../step.js';
import type { Step } from '../step.js';
import { stepToStream } from '../step-stream.js';
import { parseRecords } from '../parse/index.js';
import type { ParseInput, ParseOptions } from '../parse/index.js';
import { createMapStep } from '../map/index.js';
import type { Mapping } from '../map/index.js';
import { createValidateStep } from '../validate/index.js';
import { mergeStage } from '../merge/index.js';
import type { MergeOptions } from '../merge/index.js';
import { createBatchStep } from '../batch/index.js';
import type { Batch, BatchOptions } from '../batch/index.js';

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
}

/**
 * Judges the reject ceiling before the first merged row goes on. The in-memory merge emits nothing before the
 * input ends, so at that moment every parse and validation reject is known: a bad run sends nothing.
 */
function rejectCeilingGate(ctx: RunContext): Step<ProfileRow, ProfileRow> {
  let judged = false;
  return {
    push(row, emit) {
      if (!judged) {
        judged = true;
        ctx.checkRejectRate();
      }
      emit(row);
    },
    flush() {},
  };
}

async function* readInputs(inputs: readonly ParseInput[], options: BatchPipelineOptions['parse'], ctx: RunContext): AsyncGenerator<InputRecord[]> {
  for (const input of inputs) yield* parseRecords(input, { ...options }, ctx);
}

/**
 * Runs the whole pipeline into `sink` (an object-mode Writable taking `Batch[]` chunks). Resolves when the
 * sink has finished; rejects with the first fatal error (bad configuration, unreadable input, reject ceiling).
 */
export async function runBatchPipeline(options: BatchPipelineOptions, ctx: RunContext, sink: Writable): Promise<void> {
  const idType = options.idType ?? 'thirdPartyId';
  let rowSteps: Step<InputRecord, ProfileRow> = createValidateStep({ idColumn: options.idColumn, idType, valuePolicy: options.valuePolicy }, ctx);
  if (options.mapping) rowSteps = chainSteps(createMapStep(options.mapping, ctx), rowSteps);
  await pipeline(
    readInputs(options.inputs, options.parse, ctx),
    stepToStream(rowSteps),
    mergeStage({ ...options.merge }, ctx),
    stepToStream(chainSteps(rejectCeilingGate(ctx), createBatchStep({ ...options.batch, idType }, ctx)), { highWaterMark: 1 }),
    sink,
    { signal: ctx.signal },
  );
  ctx.checkRejectRate();
  ctx.assertBooksBalance();
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
