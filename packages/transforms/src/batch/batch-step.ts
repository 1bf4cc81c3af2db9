/**
 * The batcher: merged rows in, Target batch bodies out, each strictly below maxBytes and within maxRows
 * measured on the exact bytes sent. A row that does not fit closes the current batch first; a row that
 * cannot fit even alone is rejected. Same rows and options → byte-identical batches.
 */
import type { Transform } from 'node:stream';
import { ErrorCode } from '@bulkpipe/core';
import type { ProfileRow } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Emit, Step } from '../step.js';
import { stepToStream } from '../step-stream.js';
import type { StepStreamOptions } from '../step-stream.js';
import type { Batch } from './batch.js';
import { BatchBuilder } from './batch-builder.js';
import { resolveBatchOptions } from './batch-options.js';
import type { BatchOptions } from './batch-options.js';
import { RowEncoder, isRefusal } from './encoded-row.js';

export function createBatchStep(options: BatchOptions, ctx: RunContext): Step<ProfileRow, Batch> {
  const resolved = resolveBatchOptions(options);
  const encoder = new RowEncoder(resolved.idType);
  let builder = new BatchBuilder(resolved);
  let seq = 0;

  const close = (emit: Emit<Batch>): void => {
    const batch = builder.build(++seq);
    builder = new BatchBuilder(resolved);
    ctx.counters.sent += batch.rows;
    ctx.counters.batches++;
    emit(batch);
  };

  return {
    push(row, emit) {
      const encoded = encoder.encode(row);
      if (isRefusal(encoded)) {
        rejectRow(row, encoded.code, encoded.message, ctx);
        return;
      }
      if (encoded.soloBytes >= resolved.maxBytes) {
        rejectRow(
          row,
          ErrorCode.ROW_TOO_LARGE,
          `id ${JSON.stringify(row.id)} encodes to a ${encoded.soloBytes}-byte body even alone in a batch, ` +
            `not below the cap of ${resolved.maxBytes} bytes; raise --max-bytes or shorten its values`,
          ctx,
        );
        return;
      }
      if (!builder.tryAdd(encoded)) {
        close(emit);
        builder.tryAdd(encoded); // fits: soloBytes is below the cap and maxRows ≥ 1
      }
      // A batch at the row cap can take nothing more: hand it on now rather than hold it until the next row.
      if (builder.full) close(emit);
    },
    flush(emit) {
      if (builder.rows > 0) close(emit);
    },
  };
}

/**
 * The batcher as an object-mode stream: ProfileRow chunks (arrays) in, Batch arrays out. highWaterMark
 * defaults to 1 chunk so that no more than one finished batch (up to 50 MB) waits in the stream's buffer.
 */
export function batchStage(options: BatchOptions, ctx: RunContext, streamOptions: StepStreamOptions = {}): Transform {
  return stepToStream(createBatchStep(options, ctx), { highWaterMark: 1, ...streamOptions });
}

/** Rejects every input line of a row; lines a merge folded into it move from merged to rejected. */
function rejectRow(row: ProfileRow, code: string, message: string, ctx: RunContext): void {
  ctx.counters.merged -= row.origins.length - 1;
  for (const origin of row.origins) ctx.reject({ source: origin.source, line: origin.line, id: row.id, code, message });
}
