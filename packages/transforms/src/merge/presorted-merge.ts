/**
 * Merge by id for inputs grouped by id (all rows of an id consecutive — sorted exports are): only the current
 * id's row is held, folded as later rows of the same id arrive, and handed to the batcher when the next id
 * starts. Memory does not grow with the input, and batches leave while the input is still being read.
 *
 * Same encoding, same policies, same provenance as the in-memory merge: on a grouped input the batches are
 * byte-identical to it (rejects too, except that conflicts are reported when their id closes rather than at
 * the end). An id that reappears after other ids stops the run with INPUT_NOT_GROUPED, naming both lines.
 *
 * Rows come as records (encoded here), or already encoded by the encode worker (pushEncoded).
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { InputRecord, ProfileRow } from '@bulkpipe/core';
import type { EncodedRowSink } from '../parallel/encode-in-worker.js';
import type { RunContext } from '../run-context.js';
import type { ByteBatcher } from '../batch/byte-batcher.js';
import { RecordEncoder } from '../validate/record-encoder.js';
import type { ValidateOptions } from '../validate/validate-options.js';
import { ClosedIds } from './closed-ids.js';
import { attributesOf, writeMergedRow } from './held-rows.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { rejectConflicting } from './merge-step.js';
import { MergedRow } from './merged-row.js';
import { RowArena } from './row-arena.js';
import { ShapeRegistry } from './row-shape.js';
import { SourceLabels } from './source-labels.js';

/** The encoder's buffer: one row at a time passes through it. */
const ENCODE_BUFFER_BYTES = 1024 * 1024;

export class PresortedMerge implements EncodedRowSink {
  private readonly arena = new RowArena(ENCODE_BUFFER_BYTES);
  private readonly shapes = new ShapeRegistry();
  private readonly encoder: RecordEncoder;
  private readonly sourceLabels = new SourceLabels();
  private readonly sources = this.sourceLabels.labels;
  private readonly closed: ClosedIds;
  /** The current id's first row (batch line bytes) and where it came from. */
  private group: Buffer = Buffer.allocUnsafe(64 * 1024);
  private groupEnd = 0;
  private groupIdBytes = 0;
  private groupShape = 0;
  private groupSource = 0;
  private groupLine = 0;
  private groupId = '';
  private open = false;
  /** Set once a second row of the current id arrives. */
  private merged: MergedRow | undefined;
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** The worker's chunk `pushEncoded` reads. */
  private chunk: Buffer = Buffer.alloc(0);
  /**
   * The worker's shape ids as ids of this registry: folds intern merged shapes here as groups close, so the two
   * registries part ways (ArenaMerge keeps merged shapes apart until the input is over; this merge cannot wait).
   */
  private readonly workerShapes: number[] = [];

  constructor(
    validate: ValidateOptions,
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    private readonly batcher: ByteBatcher,
    /** Entries of the reopened-id check (a power of two). @default 1048576 */
    closedIdEntries?: number,
  ) {
    this.encoder = new RecordEncoder(validate, ctx, this.arena, this.shapes);
    this.closed = new ClosedIds(closedIdEntries);
  }

  push(record: InputRecord): void {
    if (!this.encoder.encode(record)) return;
    const row = this.encoder.row;
    this.take(this.arena.buf, this.arena.rowStart, row.end, row.idBytes, row.shape.id, row.id, record.source, record.line);
  }

  addShape(names: readonly string[]): number {
    const id = this.shapes.intern(names).id;
    this.workerShapes.push(id);
    return id;
  }

  appendEncoded(src: Buffer): void {
    this.chunk = src;
  }

  pushEncoded(start: number, end: number, idBytes: number, shape: number, source: string, line: number, rawId: string | undefined): void {
    const src = this.chunk;
    this.take(src, start, end, idBytes, this.workerShapes[shape]!, rawId ?? src.toString('latin1', start, start + idBytes), source, line);
  }

  /** The encoded row `buf[start, end)` of raw id `id`: folded into the open group, or opening the next one. */
  private take(buf: Buffer, start: number, end: number, idBytes: number, shape: number, id: string, source: string, line: number): void {
    if (this.open && idBytes === this.groupIdBytes && buf.compare(this.group, 0, this.groupIdBytes, start, start + idBytes) === 0) {
      this.fold(buf, start, end, idBytes, shape, id, source, line);
      return;
    }
    if (this.open) this.closeGroup();
    if (this.closed.find(buf, start, idBytes)) throw this.notGrouped(id, source, line, this.closed.foundSource, this.closed.foundLine);
    const bytes = end - start;
    if (this.group.length < bytes) this.group = Buffer.allocUnsafe(bytes * 2);
    buf.copy(this.group, 0, start, end);
    this.groupEnd = bytes;
    this.groupIdBytes = idBytes;
    this.groupShape = shape;
    this.groupSource = this.sourceLabels.indexOf(source);
    this.groupLine = line;
    this.groupId = id;
    this.open = true;
  }

  /** End of input: the last id goes to the batcher (the caller flushes the batcher). */
  flush(): void {
    if (this.open) this.closeGroup();
  }

  private fold(buf: Buffer, start: number, end: number, idBytes: number, shape: number, id: string, source: string, line: number): void {
    this.ctx.counters.merged++;
    if (this.merged === undefined) {
      const attributes = attributesOf(this.group, 0, this.groupEnd, this.groupIdBytes, this.shapes.shapes[this.groupShape]!.names);
      this.merged = new MergedRow(this.groupId, attributes, [{ source: this.sources[this.groupSource]!, line: this.groupLine }], this.merge.policy === 'reject');
    }
    const incoming: ProfileRow = { id, attributes: attributesOf(buf, start, end, idBytes, this.shapes.shapes[shape]!.names), origins: [{ source, line }] };
    this.merged.fold(incoming, this.merge.policy);
  }

  private closeGroup(): void {
    const merged = this.merged;
    this.open = false;
    this.merged = undefined;
    this.closed.closeFound(this.groupSource, this.groupLine); // the group's id was the last one looked up
    const rawId = this.groupId.length === this.groupIdBytes ? undefined : this.groupId; // same length: the encoding changed nothing
    if (merged === undefined) {
      this.batcher.add(this.group, 0, this.groupEnd, this.groupIdBytes, this.shapes.shapes[this.groupShape]!, rawId, undefined, this.sources[this.groupSource]!, this.groupLine);
      return;
    }
    if (merged.conflict !== undefined) {
      rejectConflicting(merged, merged.conflict, this.ctx);
      return;
    }
    const written = writeMergedRow(merged, this.group, 0, this.groupIdBytes, this.scratch, this.shapes);
    this.scratch = written.buf;
    const first = merged.origins[0]!;
    this.batcher.add(written.buf, 0, written.end, this.groupIdBytes, this.shapes.shapes[written.shape]!, rawId, merged.origins, first.source, first.line);
  }

  private notGrouped(id: string, source: string, line: number, earlierSource: number, earlierLine: number): BulkpipeError {
    const earlier = this.sources[earlierSource] === source ? `line ${earlierLine}` : `${this.sources[earlierSource]} line ${earlierLine}`;
    return new BulkpipeError(
      ErrorCode.INPUT_NOT_GROUPED,
      `id ${JSON.stringify(id)} on line ${line} appears again after rows of other ids (its rows from ${earlier} were already merged and handed on): ` +
        `the input is not grouped by id, which --presorted requires. Sort the export by the id column, or drop --presorted to merge in any order.`,
      { source, line, id },
    );
  }
}
