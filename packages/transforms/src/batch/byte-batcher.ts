/**
 * The batcher over encoded row bytes: the same decisions as `createBatchStep` (a row over Target's profile
 * size or unable to fit alone is rejected; a row that does not fit closes the batch; a full batch is handed
 * on at once), on rows the merge arena already holds encoded.
 */
import { ErrorCode, MAX_PROFILE_EXTERNAL_BYTES } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { RowShape } from '../merge/row-shape.js';
import type { Batch } from './batch.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { ByteBatchBuilder, HEADER_ROOM, IN_PLACE_SLACK_BYTES } from './byte-batch-builder.js';
import { digestPending } from './batch-digest.js';
import { collectGarbage } from '../merge/collect-garbage.js';

/** Rows between looks for a freed merge buffer while a batch is built in fresh memory. */
const SPARE_CHECK_ROWS = 256;
/**
 * Released bodies kept for later batches. A sink writing or sending one batch while the next is built releases
 * about one batch in two builds; more would only hold memory.
 */
const MAX_RELEASED_BODIES = 2;

/**
 * The batcher each batch came from, and the memory its body lies in when a later batch can be built there
 * (undefined for a body built in place in a merge buffer), for releaseBatch.
 */
const bodyOwners = new WeakMap<Batch, { batcher: ByteBatcher; buffer: Buffer | undefined }>();

/**
 * Says that nothing will read `batch` again — its body, ids or origins — so the batcher that made it may build a
 * later batch in its memory. Without it every body of a spilled or long run is fresh memory, and the first write
 * to each page of 50 MB costs a page fault (~0.7 s of the main thread over a 5M-row spilled split); and while the
 * batcher sheds memory (ByteBatcher.shed), it is freed at once. A no-op for batches that did not come from a
 * batcher of this package. Bulkpipe's own sinks call it only when told to (`releaseBodies`), as the CLI does: a
 * sink cannot know who else holds the batch.
 */
export function releaseBatch(batch: Batch): void {
  const owner = bodyOwners.get(batch);
  if (owner === undefined) return;
  bodyOwners.delete(batch);
  // A digest nobody has made yet must be made from these bytes before a later batch overwrites them.
  if (owner.buffer !== undefined && digestPending(batch)) void batch.sha256;
  owner.batcher.takeBack(owner.buffer);
}

export class ByteBatcher {
  /** Created with the first row after a close, so it can use a buffer the drain freed meanwhile. */
  private builder: ByteBatchBuilder | undefined;
  /** The builder's body is fresh memory (no spare buffer was free when it started): move it when one is. */
  private freshBody = false;
  private rowsSinceSpareCheck = 0;
  private seq = 0;
  /** `batch=` + key header + LF. */
  private readonly baseBytes: number;
  /** Bodies released (releaseBatch) and not built in again yet. */
  private readonly released: Buffer[] = [];
  /** False from `shed` until the next row: bodies released meanwhile are let go, not kept. */
  private keepReleased = true;

  constructor(
    private readonly options: ResolvedBatchOptions,
    private readonly ctx: RunContext,
    private readonly emit: (batch: Batch) => void,
    /** Called once, before the first row is placed or rejected (the pipeline's reject-ceiling gate). */
    private onFirstRow?: () => void,
    /** Offers a free buffer of at least the given size for a batch body (the merge's drained arena). */
    private readonly spareBuffer?: (bytes: number) => Buffer | undefined,
    /**
     * Says whether a batch that starts when no spare is free may be built in place in `src`, the buffer its first
     * row is read from (a merge arena buffer, given away by the call; see ByteBatchBuilder.tryAdd): the batch then
     * needs no memory of its own. Asked only for `stable` rows at least HEADER_ROOM + IN_PLACE_SLACK_BYTES in.
     */
    private readonly claimInPlace?: (src: Buffer) => boolean,
  ) {
    this.baseBytes = 'batch='.length + options.idType.length + 1;
  }

  /**
   * One merged row: `src[start, end)` is its encoded id then `,value` per name of `shape`. `rawId` when the id's
   * encoding differs from it; `origins` for a row folded from several lines, else its one `source` and `line`.
   * `stable`: `src[start, end)` stays as it is until the batcher next takes a spare buffer or closes a batch
   * (a merge arena row), so its copy may be deferred (see ByteBatchBuilder).
   */
  add(
    src: Buffer,
    start: number,
    end: number,
    idBytes: number,
    shape: RowShape,
    rawId: string | undefined,
    origins: readonly RowOrigin[] | undefined,
    source: string,
    line: number,
    stable = false,
  ): void {
    if (this.onFirstRow !== undefined) {
      const first = this.onFirstRow;
      this.onFirstRow = undefined;
      first();
    }
    this.keepReleased = true;
    const n = shape.names.length;
    const valueBytes = end - start - idBytes - n;
    const profileBytes = shape.nameBytes + valueBytes;
    // Alone in a batch the row's columns are 0..n-1: header `,name` each; line id + `,value` each.
    const soloBytes = this.baseBytes + n + shape.nameBytes + idBytes + n + valueBytes + 1;
    if (profileBytes > MAX_PROFILE_EXTERNAL_BYTES || soloBytes >= this.options.maxBytes) {
      // Rejects are rare: the id string and origins are only made for them (closures made per row were garbage).
      const id = rawId ?? src.toString('latin1', start, start + idBytes);
      const allOrigins = origins ?? [{ source, line }];
      if (profileBytes > MAX_PROFILE_EXTERNAL_BYTES) {
        this.rejectRow(
          id,
          allOrigins,
          ErrorCode.PROFILE_TOO_LARGE,
          `id ${JSON.stringify(id)} has ${profileBytes} bytes of encoded attributes, above Target's ${MAX_PROFILE_EXTERNAL_BYTES}-byte ` +
            `limit of external profile data per visitor; drop or shorten columns in the mapping`,
        );
      } else {
        this.rejectRow(
          id,
          allOrigins,
          ErrorCode.ROW_TOO_LARGE,
          `id ${JSON.stringify(id)} encodes to a ${soloBytes}-byte body even alone in a batch, ` +
            `not below the cap of ${this.options.maxBytes} bytes; raise --max-bytes or shorten its values`,
        );
      }
      return;
    }
    let builder = this.builder ?? this.newBuilder(src, start, stable);
    if (this.freshBody && ++this.rowsSinceSpareCheck >= SPARE_CHECK_ROWS) this.moveToSpare(builder);
    if (!builder.tryAdd(src, start, end, idBytes, shape, rawId, origins, source, line, stable)) {
      this.close(builder);
      builder = this.newBuilder(src, start, stable);
      builder.tryAdd(src, start, end, idBytes, shape, rawId, origins, source, line, stable); // fits: soloBytes is below the cap and maxRows ≥ 1
    }
    // A batch at the row cap can take nothing more: hand it on now rather than hold it until the next row.
    if (builder.full) this.close(builder);
  }

  /** Copies what the batch under construction deferred: the `stable` rows added so far may change after this. */
  settle(): void {
    this.builder?.flushRun();
  }

  flush(): void {
    if (this.builder !== undefined && this.builder.rows > 0) this.close(this.builder);
  }

  /**
   * Lets go of the memory it keeps for later batches, before the merge needs memory for a while (a spill's
   * partitions, merged once the rows held in memory were drained): released bodies go, and the batch under
   * construction moves out of the merge buffer it is built in (every page of it written by the merge's rows) to
   * memory of its own. Bodies released before the next row comes are let go too (a sink still writing one).
   */
  shed(): void {
    this.released.length = 0;
    this.keepReleased = false;
    if (this.builder === undefined) return;
    this.builder.leavePlace();
    this.freshBody = true; // into a released body again once the sink gives one back
  }

  /** Memory for a batch body: a merge buffer the drain freed, else a released body, else undefined. */
  private spare(): Buffer | undefined {
    return this.spareBuffer?.(HEADER_ROOM + this.options.maxBytes) ?? this.released.pop();
  }

  /** A released body (see releaseBatch); undefined when its memory cannot take another batch. */
  takeBack(buffer: Buffer | undefined): void {
    if (!this.keepReleased) {
      // Let go while the merge needs the memory (see shed): freed now, not at V8's next full collection.
      collectGarbage();
      return;
    }
    if (buffer !== undefined && this.released.length < MAX_RELEASED_BODIES) this.released.push(buffer);
  }

  /** A builder for a batch whose first row is `src[start, …)`. */
  private newBuilder(src: Buffer, start: number, stable: boolean): ByteBatchBuilder {
    const bytes = HEADER_ROOM + this.options.maxBytes;
    let body = this.spare();
    const inPlace = body === undefined && stable && start >= HEADER_ROOM + IN_PLACE_SLACK_BYTES && src.length >= bytes && this.claimInPlace?.(src) === true;
    if (inPlace) body = src;
    this.builder = new ByteBatchBuilder(this.options, body, inPlace);
    this.freshBody = body === undefined;
    this.rowsSinceSpareCheck = 0;
    return this.builder;
  }

  /**
   * A batch cut just before the drain frees the merge buffer it could have used would otherwise keep a second
   * fresh 50 MB body alive; only the few rows written so far are copied (allocUnsafeSlow memory is committed as
   * it is written, so the abandoned body cost only those pages).
   */
  private moveToSpare(builder: ByteBatchBuilder): void {
    this.rowsSinceSpareCheck = 0;
    builder.flushRun(); // the spare may be the buffer the pending run is in
    const spare = this.spare();
    if (spare === undefined) return;
    builder.relocate(spare);
    this.freshBody = false;
  }

  private close(builder: ByteBatchBuilder): void {
    const batch = builder.build(++this.seq);
    bodyOwners.set(batch, { batcher: this, buffer: builder.reusableBuffer });
    this.builder = undefined;
    this.ctx.counters.sent += batch.rows;
    this.ctx.counters.batches++;
    this.emit(batch);
  }

  /** Rejects every input line of a row; lines a merge folded into it move from merged to rejected. */
  private rejectRow(id: string, origins: readonly RowOrigin[], code: string, message: string): void {
    this.ctx.counters.merged -= origins.length - 1;
    for (const origin of origins) this.ctx.reject({ source: origin.source, line: origin.line, id, code, message });
  }
}
