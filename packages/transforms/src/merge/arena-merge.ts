/**
 * Validate, encode and merge by id in one step over a byte arena, then hand the held rows to the byte
 * batcher in first-seen id order: the fast path of `runBatchPipeline`. Its output — batches, rejects,
 * warnings, counters — is the same as validate → merge → batch over ProfileRows (see the differential test);
 * the public steps stay for callers who embed single stages.
 *
 * Ids seen once (the vast majority) stay as bytes in the arena. An id seen again becomes a MergedRow whose
 * values are the encoded strings (comparing encoded values is comparing values: the encoding is injective).
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { InputRecord, ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ByteBatcher } from '../batch/byte-batcher.js';
import { RecordEncoder } from '../validate/record-encoder.js';
import type { ValidateOptions } from '../validate/validate-options.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { rejectConflicting } from './merge-step.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import { RowArena } from './row-arena.js';
import { ShapeRegistry } from './row-shape.js';

const COMMA = 0x2c;
/** Heap estimates for folded rows (MergedRow object, attributes, origins), as the object merge used. */
const MERGED_ROW_BYTES = 240;
const MERGED_ATTRIBUTE_BYTES = 48;
const ORIGIN_BYTES = 48;
const RAW_ID_BYTES = 64;
/** Slots between attempts to free the arena buffers already drained. */
const RELEASE_EVERY = 4096;

export class ArenaMerge {
  private readonly arena: RowArena;
  private readonly shapes = new ShapeRegistry();
  private readonly encoder: RecordEncoder;
  private readonly sources: string[] = [];
  private lastSource = -1;
  /** Raw ids of slots whose id percent-encoding changed (the arena holds the encoded id). */
  private readonly rawIds = new Map<number, string>();
  private readonly folded = new Map<number, MergedRow>();
  private sideBytes = 0;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(
    validate: ValidateOptions,
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    /** Size of each arena buffer. @default 16 MiB */
    arenaChunkBytes?: number,
  ) {
    this.arena = new RowArena(arenaChunkBytes);
    this.encoder = new RecordEncoder(validate, ctx, this.arena, this.shapes);
  }

  get size(): number {
    return this.arena.size;
  }

  get estimatedBytes(): number {
    return this.arena.estimatedBytes + this.sideBytes;
  }

  push(record: InputRecord): void {
    if (!this.encoder.encode(record)) return;
    const row = this.encoder.row;
    const arena = this.arena;
    const source = this.sourceIndex(record.source);
    const held = arena.findOrCommit(row.idBytes, row.end, row.shape.id, source, record.line);
    if (held < 0) {
      // Encoding only lengthens text that needs escaping: same length means the same text.
      if (row.idBytes !== row.id.length) {
        this.rawIds.set(arena.size - 1, row.id);
        this.sideBytes += RAW_ID_BYTES + 2 * row.id.length;
      }
    } else {
      this.ctx.counters.merged++;
      let merged = this.folded.get(held);
      if (merged === undefined) {
        const attributes = this.attributesAt(arena.bufferOf(held), arena.startOfSlot(held), arena.startOfSlot(held) + arena.lengthOfSlot(held), arena.idBytesOfSlot(held), arena.shapeOfSlot(held));
        merged = new MergedRow(row.id, attributes, [this.originOf(held)], this.merge.policy === 'reject');
        this.folded.set(held, merged);
        arena.markFolded(held);
        this.sideBytes += MERGED_ROW_BYTES + ORIGIN_BYTES + this.attributeBytes(attributes);
      }
      const attributes = this.attributesAt(arena.buf, arena.rowStart, row.end, row.idBytes, row.shape.id);
      const incoming: ProfileRow = { id: row.id, attributes, origins: [{ source: record.source, line: record.line }] };
      merged.fold(incoming, this.merge.policy);
      this.sideBytes += ORIGIN_BYTES + this.attributeBytes(attributes);
    }
    if (this.estimatedBytes > this.merge.maxMemoryBytes) throw this.budgetExceeded();
  }

  /**
   * Hands every held row to `batcher` in first-seen id order (conflicting ids of policy `reject` are rejected
   * instead), calling `after` every `every` rows so a stream can pass on finished batches. Empties the merge.
   */
  *drain(batcher: ByteBatcher, every = 1024): Generator<void> {
    const arena = this.arena;
    const size = arena.size;
    arena.endLookups();
    for (let slot = 0; slot < size; slot++) {
      const merged = arena.shapeOfSlot(slot) < 0 ? this.folded.get(slot) : undefined;
      if (merged !== undefined) {
        if (merged.conflict !== undefined) rejectConflicting(merged, merged.conflict, this.ctx);
        else this.addMerged(batcher, merged, slot);
        this.folded.delete(slot);
      } else {
        const start = arena.startOfSlot(slot);
        batcher.add(
          arena.bufferOf(slot),
          start,
          start + arena.lengthOfSlot(slot),
          arena.idBytesOfSlot(slot),
          this.shapes.shapes[arena.shapeOfSlot(slot)]!,
          this.rawIds.size > 0 ? this.rawIds.get(slot) : undefined,
          undefined,
          this.sources[arena.sourceOfSlot(slot)]!,
          arena.lineOfSlot(slot),
        );
      }
      if (slot % RELEASE_EVERY === 0) arena.releaseBefore(slot);
      if (slot % every === every - 1) yield;
    }
    arena.clear();
    this.rawIds.clear();
    this.sideBytes = 0;
  }

  /** A drained arena buffer of at least `bytes` for a batch body, if one is free (see RowArena.takeSpare). */
  takeSpareBuffer(bytes: number): Buffer | undefined {
    return this.arena.takeSpare(bytes);
  }

  /** A folded row, serialized like an arena row (encoded id from its first slot, then its values). */
  private addMerged(batcher: ByteBatcher, merged: MergedRow, slot: number): void {
    const arena = this.arena;
    const names: string[] = [];
    const values: string[] = [];
    for (const name of Object.keys(merged.attributes)) {
      const value = merged.attributes[name]!;
      if (value === '') continue;
      names.push(name);
      values.push(value);
    }
    const idBytes = arena.idBytesOfSlot(slot);
    let bytes = idBytes;
    for (const value of values) bytes += 1 + value.length;
    if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(bytes * 2);
    const scratch = this.scratch;
    const start = arena.startOfSlot(slot);
    let o = arena.bufferOf(slot).copy(scratch, 0, start, start + idBytes);
    for (const value of values) {
      scratch[o++] = COMMA;
      o += scratch.write(value, o, 'latin1');
    }
    const rawId = merged.id.length === idBytes ? undefined : merged.id; // same length: the encoding changed nothing
    const first = merged.origins[0]!;
    batcher.add(scratch, 0, o, idBytes, this.shapes.intern(names), rawId, merged.origins.length > 1 ? merged.origins : undefined, first.source, first.line);
  }

  /** The encoded values of a row's bytes as an attributes object, in its shape's order. */
  private attributesAt(buf: Buffer, start: number, end: number, idBytes: number, shapeId: number): Record<string, string> {
    const names = this.shapes.shapes[shapeId]!.names;
    const attributes: Record<string, string> = {};
    let p = start + idBytes;
    for (const name of names) {
      const from = p + 1;
      let to = from;
      while (to < end && buf[to] !== COMMA) to++;
      setOwn(attributes, name, buf.toString('latin1', from, to));
      p = to;
    }
    return attributes;
  }

  private attributeBytes(attributes: Record<string, string>): number {
    let bytes = 0;
    for (const name of Object.keys(attributes)) bytes += MERGED_ATTRIBUTE_BYTES + attributes[name]!.length;
    return bytes;
  }

  private originOf(slot: number): RowOrigin {
    return { source: this.sources[this.arena.sourceOfSlot(slot)]!, line: this.arena.lineOfSlot(slot) };
  }

  private sourceIndex(source: string): number {
    if (this.sources[this.lastSource] === source) return this.lastSource;
    let index = this.sources.indexOf(source);
    if (index < 0) index = this.sources.push(source) - 1;
    this.lastSource = index;
    return index;
  }

  private budgetExceeded(): BulkpipeError {
    const { maxMemoryBytes } = this.merge;
    return new BulkpipeError(
      ErrorCode.MEMORY_BUDGET_EXCEEDED,
      `Merge by id holds ${this.size.toLocaleString('en-US')} rows, one per id (~${mebibytes(this.estimatedBytes)} estimated), ` +
        `over its memory budget of ${mebibytes(maxMemoryBytes)} (maxMemoryBytes ${maxMemoryBytes}). ` +
        `Raise the budget with --memory (the held rows live outside the JS heap: Node's heap size does not limit them), or split the input into runs by id; ` +
        `a merge that spills to disk is planned.`,
      { option: 'maxMemoryBytes' },
    );
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
