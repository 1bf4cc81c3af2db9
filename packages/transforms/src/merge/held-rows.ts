/**
 * One row per id over a byte arena, and the fold of later rows into it: the part of the merge shared by the
 * in-memory merge (rows straight from the encoder), each partition of a spilled merge (rows read back from
 * disk) and nothing else. Rows are handed on in first-seen order, each with its first-seen sequence number
 * (the slot, or the number a spilled row carried), so partitions can be put back in the in-memory order.
 *
 * Ids seen once (the vast majority) stay as bytes in the arena. An id seen again is folded on bytes for policies
 * `last` and `first` (byte-fold.ts, folded-rows.ts: no attributes object, no value strings; ~10 µs per duplicate
 * went to those objects and their re-serialization at the drain). Policy `reject` folds into a MergedRow whose
 * values are the encoded strings (comparing encoded values is comparing values: the encoding is injective),
 * which keeps which line set each value for its conflicts.
 */
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { FoldKind, FoldPlanner } from './byte-fold.js';
import { FoldedRows } from './folded-rows.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import { RowArena } from './row-arena.js';
import type { RowShape, ShapeRegistry } from './row-shape.js';

const COMMA = 0x2c;
/** Heap estimates for folded rows (MergedRow object, attributes, origins), as the object merge used. */
const MERGED_ROW_BYTES = 240;
const MERGED_ATTRIBUTE_BYTES = 48;
const ORIGIN_BYTES = 48;
const RAW_ID_BYTES = 64;
/** Slots between attempts to free the arena buffers already drained. */
const RELEASE_EVERY = 4096;

/** Where held rows go at the end: the batcher (in memory) or a sorted run file (a spilled partition). */
export interface DrainTarget {
  /**
   * One merged row: `src[start, end)` is its encoded id then `,value` per name of the shape. `rawId` when the
   * id's encoding differs from it; `origins` for a row folded from several lines, else `source` and `line`.
   * `stable`: `src` is an arena buffer, whose bytes stay put until the arena is handed a spare (see
   * RowArena.takeSpare); otherwise `src` may be overwritten as soon as `row` returns.
   */
  row(src: Buffer, start: number, end: number, idBytes: number, shape: number, rawId: string | undefined, origins: readonly RowOrigin[] | undefined, source: number, line: number, seq: number, stable?: boolean): void;
  /** An id of policy `reject` whose rows disagree: every line of it is rejected. */
  conflict(row: MergedRow, seq: number): void;
}

const never = (): boolean => false;

export class HeldRows {
  readonly arena: RowArena;
  /** Raw ids of slots whose id percent-encoding changed (the arena holds the encoded id). */
  private readonly rawIds = new Map<number, string>();
  /** Policy `reject`: the ids seen more than once, as objects. */
  private readonly folded = new Map<number, MergedRow>();
  /** Policies `last` and `first`: the ids seen more than once, as bytes. */
  private readonly folds = new FoldedRows();
  private readonly planner: FoldPlanner | undefined;
  /** First-seen sequence number per slot, when it is not the slot itself (a spilled partition). */
  private seqOf: Float64Array | undefined;
  private sideBytes = 0;
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    private readonly shapes: ShapeRegistry,
    /** Input labels, indexed by the source numbers rows carry (shared by every HeldRows of a run). */
    private readonly sources: readonly string[],
    options: { arenaChunkBytes?: number; arenaHeadRoom?: number; trackSeq?: boolean } = {},
  ) {
    this.arena = new RowArena(options.arenaChunkBytes, options.arenaHeadRoom);
    if (merge.policy !== 'reject') this.planner = new FoldPlanner(shapes, merge.policy);
    if (options.trackSeq) this.seqOf = new Float64Array(1024);
  }

  get size(): number {
    return this.arena.size;
  }

  get estimatedBytes(): number {
    return this.arena.estimatedBytes + this.sideBytes + this.folds.estimatedBytes + (this.seqOf?.byteLength ?? 0);
  }

  /**
   * Holds the row just written at `arena.rowStart` (ending at `end`, its encoded id `idBytes` long), or folds it
   * into the row already held for its id. `id` is the raw id, or undefined when it is the encoded id's text (a
   * spilled row without a raw id: made only if the row folds). Returns true when the row was folded.
   */
  hold(rawId: string | undefined, idBytes: number, end: number, shape: number, source: number, line: number, seq?: number): boolean {
    const arena = this.arena;
    const start = arena.rowStart;
    const held = arena.findOrCommit(idBytes, end, shape, source, line);
    if (held < 0) {
      this.held(rawId, idBytes, seq);
      return false;
    }
    this.fold(held, rawId, start, idBytes, end, shape, source, line);
    // Counted as holdPlaced's arena counts a dropped row (its gap): one thread and two reach the budget at the same
    // row, so they spill (or stop) at the same row, with the same counters.
    this.sideBytes += end - start + 1;
    return true;
  }

  /**
   * `hold` for a row already in the arena's current buffer at `start` (RowArena.append), not at `rowStart`;
   * `hash` when the writer computed it (RowArena's idHash).
   */
  holdPlaced(start: number, rawId: string | undefined, idBytes: number, end: number, shape: number, source: number, line: number, hash?: number): boolean {
    const held = this.arena.findOrPlace(start, idBytes, end, shape, source, line, hash);
    if (held < 0) {
      this.held(rawId, idBytes, undefined);
      return false;
    }
    this.fold(held, rawId, start, idBytes, end, shape, source, line);
    return true;
  }

  /** The row just committed: its sequence number and its raw id, when they are not implied. */
  private held(rawId: string | undefined, idBytes: number, seq: number | undefined): void {
    const slot = this.arena.size - 1;
    if (this.seqOf !== undefined) this.setSeq(slot, seq!);
    // Encoding only lengthens text that needs escaping: same length means the same text.
    if (rawId !== undefined && idBytes !== rawId.length) {
      this.rawIds.set(slot, rawId);
      this.sideBytes += RAW_ID_BYTES + 2 * rawId.length;
    }
  }

  /** Folds the row at `start` of the arena's current buffer into the row `held` holds for its id. */
  private fold(held: number, rawId: string | undefined, start: number, idBytes: number, end: number, shape: number, source: number, line: number): void {
    const arena = this.arena;
    const planner = this.planner;
    if (planner !== undefined) {
      const folds = this.folds;
      let row = folds.rowOf(held);
      if (row < 0) {
        const heldStart = arena.startOfSlot(held);
        const heldEnd = heldStart + arena.lengthOfSlot(held);
        const plan = planner.plan(arena.shapeOfSlot(held), false, shape);
        row = folds.add(held, arena.sourceOfSlot(held), arena.lineOfSlot(held));
        const at = folds.reserve(heldEnd - heldStart + end - start);
        folds.place(row, at, planner.write(plan, folds.buf, at, arena.bufferOf(held), heldStart, heldEnd, idBytes, arena.buf, start + idBytes, end), plan.shape);
        arena.markFolded(held);
      } else {
        const plan = planner.plan(folds.shapeOf(row), true, shape);
        if (plan.kind !== FoldKind.HELD) {
          const heldStart = folds.startOf(row);
          const heldEnd = folds.endOf(row);
          const at = folds.reserve(heldEnd - heldStart + end - start);
          folds.place(row, at, planner.write(plan, folds.buf, at, folds.bufferOf(row), heldStart, heldEnd, idBytes, arena.buf, start + idBytes, end), plan.shape);
        }
      }
      folds.addOrigin(row, source, line);
      return;
    }
    const id = rawId ?? arena.buf.toString('latin1', start, start + idBytes);
    let merged = this.folded.get(held);
    if (merged === undefined) {
      const attributes = this.attributesAt(arena.bufferOf(held), arena.startOfSlot(held), arena.startOfSlot(held) + arena.lengthOfSlot(held), arena.idBytesOfSlot(held), arena.shapeOfSlot(held));
      merged = new MergedRow(id, attributes, [this.originOf(held)], this.merge.policy === 'reject');
      this.folded.set(held, merged);
      arena.markFolded(held);
      this.sideBytes += MERGED_ROW_BYTES + ORIGIN_BYTES + this.attributeBytes(attributes);
    }
    const attributes = this.attributesAt(arena.buf, start, end, idBytes, shape);
    const incoming: ProfileRow = { id, attributes, origins: [{ source: this.sources[source]!, line }] };
    merged.fold(incoming, this.merge.policy);
    this.sideBytes += ORIGIN_BYTES + this.attributeBytes(attributes);
  }

  /**
   * Holds an already folded row (read back from a spill) whose encoded id was just written at `arena.rowStart`.
   * Its id must not be held yet: a folded row is the first record of its id in a partition.
   */
  holdFolded(merged: MergedRow, idBytes: number, seq: number): void {
    const arena = this.arena;
    const first = merged.origins[0]!;
    if (arena.findOrCommit(idBytes, arena.rowStart + idBytes, -1, this.sources.indexOf(first.source), first.line) >= 0) {
      throw new Error('bulkpipe bug: a folded row follows another row of its id in a spill partition');
    }
    const slot = arena.size - 1;
    if (this.seqOf !== undefined) this.setSeq(slot, seq);
    arena.markFolded(slot);
    this.folded.set(slot, merged);
    this.sideBytes += MERGED_ROW_BYTES + this.attributeBytes(merged.attributes) + ORIGIN_BYTES * merged.origins.length;
  }

  /**
   * Holds a row folded on bytes (read back from a spill): its bytes were just written at `arena.rowStart` and end at
   * `end`, of merged shape `shape` (FoldPlanner's registry, as bytesFolded has it); `origins` every [source, line], flat; `rawId` when it differs from the encoded id.
   * Its id must not be held yet (as for holdFolded).
   */
  holdFoldedBytes(rawId: string | undefined, idBytes: number, end: number, shape: number, origins: readonly number[], seq: number): void {
    const arena = this.arena;
    const folds = this.folds;
    const start = arena.rowStart;
    const at = folds.reserve(end - start);
    arena.buf.copy(folds.buf, at, start, end);
    if (arena.findOrCommit(idBytes, start + idBytes, -1, origins[0]!, origins[1]!) >= 0) {
      throw new Error('bulkpipe bug: a folded row follows another row of its id in a spill partition');
    }
    const slot = arena.size - 1;
    this.held(rawId, idBytes, seq);
    arena.markFolded(slot);
    const row = folds.add(slot, origins[0]!, origins[1]!);
    folds.place(row, at, at + (end - start), shape);
    for (let i = 2; i < origins.length; i += 2) folds.addOrigin(row, origins[i]!, origins[i + 1]!);
  }

  /** The row of `slot` folded on bytes, if its id was seen more than once (policies `last`, `first`): see bytesFolded. */
  bytesFoldedAt(slot: number): number {
    return this.arena.shapeOfSlot(slot) < 0 ? this.folds.rowOf(slot) : -1;
  }

  /** The folded rows store, for a row `bytesFoldedAt` names (a spill writes them out as they are). */
  get bytesFolded(): FoldedRows {
    return this.folds;
  }

  /** The held row of `slot`, as the spill writes it: the raw id when it differs from the encoded one. */
  rawIdOf(slot: number): string | undefined {
    return this.rawIds.size > 0 ? this.rawIds.get(slot) : undefined;
  }

  /** The folded row of `slot`, if its id was seen more than once. */
  foldedAt(slot: number): MergedRow | undefined {
    return this.arena.shapeOfSlot(slot) < 0 ? this.folded.get(slot) : undefined;
  }

  seqAt(slot: number): number {
    return this.seqOf !== undefined ? this.seqOf[slot]! : slot;
  }

  /**
   * Hands every held row to `target` in first-seen order (conflicting ids of policy `reject` as conflicts),
   * yielding every `every` rows, and as soon as `ready()` says output is waiting, so a stream can pass on
   * finished batches (and hold back while its sink is busy). Empties the arena as it goes.
   */
  *drain(target: DrainTarget, every = 1024, ready: () => boolean = never): Generator<void> {
    const arena = this.arena;
    const size = arena.size;
    arena.endLookups();
    for (let slot = 0; slot < size; slot++) {
      const shape = arena.shapeOfSlot(slot);
      if (shape >= 0) {
        const start = arena.startOfSlot(slot);
        target.row(arena.bufferOf(slot), start, start + arena.lengthOfSlot(slot), arena.idBytesOfSlot(slot), shape, this.rawIdOf(slot), undefined, arena.sourceOfSlot(slot), arena.lineOfSlot(slot), this.seqAt(slot), true);
      } else if (this.folds.rowOf(slot) >= 0) {
        const folds = this.folds;
        const folded = folds.rowOf(slot);
        const origins = folds.originsOf(folded);
        target.row(folds.bufferOf(folded), folds.startOf(folded), folds.endOf(folded), arena.idBytesOfSlot(slot), this.planner!.registryShape(folds.shapeOf(folded)), this.rawIdOf(slot), folds.rowOrigins(folded, this.sources), origins[0]!, origins[1]!, this.seqAt(slot));
      } else {
        const merged = this.folded.get(slot)!;
        if (merged.conflict !== undefined) target.conflict(merged, this.seqAt(slot));
        else this.addMerged(target, merged, slot);
        this.folded.delete(slot);
      }
      if (slot % RELEASE_EVERY === 0) arena.releaseBefore(slot);
      if (slot % every === every - 1 || ready()) yield;
    }
    this.clear();
  }

  /** Lets go of every held row (after a drain, or once a spill has written them out). */
  clear(): void {
    this.arena.clear();
    this.rawIds.clear();
    this.folded.clear();
    this.folds.clear();
    this.sideBytes = 0;
    if (this.seqOf !== undefined) this.seqOf = new Float64Array(0);
  }

  /** A folded row, serialized like an arena row (encoded id from its first slot, then its values). */
  private addMerged(target: DrainTarget, merged: MergedRow, slot: number): void {
    const arena = this.arena;
    const idBytes = arena.idBytesOfSlot(slot);
    const written = writeMergedRow(merged, arena.bufferOf(slot), arena.startOfSlot(slot), idBytes, this.scratch, this.shapes);
    this.scratch = written.buf;
    const rawId = merged.id.length === idBytes ? undefined : merged.id; // same length: the encoding changed nothing
    const first = merged.origins[0]!;
    const origins = merged.origins.length > 1 ? merged.origins : undefined;
    target.row(written.buf, 0, written.end, idBytes, written.shape, rawId, origins, this.sources.indexOf(first.source), first.line, this.seqAt(slot));
  }

  private attributesAt(buf: Buffer, start: number, end: number, idBytes: number, shapeId: number): Record<string, string> {
    return attributesOf(buf, start, end, idBytes, this.shapes.shapes[shapeId]!.names);
  }

  private attributeBytes(attributes: Record<string, string>): number {
    let bytes = 0;
    for (const name of Object.keys(attributes)) bytes += MERGED_ATTRIBUTE_BYTES + attributes[name]!.length;
    return bytes;
  }

  private originOf(slot: number): RowOrigin {
    return { source: this.sources[this.arena.sourceOfSlot(slot)]!, line: this.arena.lineOfSlot(slot) };
  }

  private setSeq(slot: number, seq: number): void {
    let seqOf = this.seqOf!;
    if (slot >= seqOf.length) {
      const wider = new Float64Array(Math.max(1024, seqOf.length * 2));
      wider.set(seqOf);
      this.seqOf = seqOf = wider;
    }
    seqOf[slot] = seq;
  }
}

/** The encoded values of a row's bytes as an attributes object, keyed by its shape's `names` in order. */
export function attributesOf(buf: Buffer, start: number, end: number, idBytes: number, names: readonly string[]): Record<string, string> {
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

/**
 * A folded row as batch line bytes in `scratch` (grown when too small): the encoded id copied from
 * `idSrc[idStart, +idBytes)`, then `,value` per non-empty value. Returns the buffer, the end and the shape.
 */
export function writeMergedRow(merged: MergedRow, idSrc: Buffer, idStart: number, idBytes: number, scratch: Buffer, shapes: ShapeRegistry): { buf: Buffer; end: number; shape: number } {
  const names: string[] = [];
  const values: string[] = [];
  for (const name of Object.keys(merged.attributes)) {
    const value = merged.attributes[name]!;
    if (value === '') continue;
    names.push(name);
    values.push(value);
  }
  let bytes = idBytes;
  for (const value of values) bytes += 1 + value.length;
  const buf = scratch.length < bytes ? Buffer.allocUnsafe(bytes * 2) : scratch;
  let o = idSrc.copy(buf, 0, idStart, idStart + idBytes);
  for (const value of values) {
    buf[o++] = COMMA;
    o += buf.write(value, o, 'latin1');
  }
  return { buf, end: o, shape: shapeOf(shapes, names).id };
}

/** The last shape of merged rows per registry: most merged rows have the same names (interning one costs a JSON key). */
const lastMergedShape = new WeakMap<ShapeRegistry, RowShape>();

function shapeOf(shapes: ShapeRegistry, names: readonly string[]): RowShape {
  const last = lastMergedShape.get(shapes);
  if (last !== undefined && last.names.length === names.length && last.names.every((name, i) => name === names[i])) return last;
  const shape = shapes.intern(names);
  lastMergedShape.set(shapes, shape);
  return shape;
}
