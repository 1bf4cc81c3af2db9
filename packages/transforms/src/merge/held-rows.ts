/**
 * One row per id over a byte arena, and the fold of later rows into it: the part of the merge shared by the
 * in-memory merge (rows straight from the encoder), each partition of a spilled merge (rows read back from
 * disk) and nothing else. Rows are handed on in first-seen order, each with its first-seen sequence number
 * (the slot, or the number a spilled row carried), so partitions can be put back in the in-memory order.
 *
 * Ids seen once (the vast majority) stay as bytes in the arena. An id seen again is folded on bytes
 * (byte-fold.ts, folded-rows.ts), under every policy: no attributes object and no value strings per row (~10 µs
 * per duplicate went to those objects, a MergedRow and its re-serialization at the drain). Comparing encoded
 * values is comparing values: the encoding is injective. An id of policy `reject` whose rows conflict becomes a
 * MergedRow only at the drain, for its rejects.
 */
import type { RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { FoldKind, FoldPlanner } from './byte-fold.js';
import type { FoldPlan } from './byte-fold.js';
import { FoldedRows } from './folded-rows.js';
import type { ByteConflict } from './folded-rows.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import { RowArena } from './row-arena.js';
import type { ArenaBufferPool } from './row-arena.js';
import type { RowShape, ShapeRegistry } from './row-shape.js';
import { widened } from '../typed-arrays.js';

const COMMA = 0x2c;
const RAW_ID_BYTES = 64;
/** Slots between attempts to free the arena buffers already drained. */
const RELEASE_EVERY = 4096;

/** Where held rows go at the end: the batcher (in memory) or a sorted run file (a spilled partition). */
export interface DrainTarget {
  /**
   * One merged row: `src[start, end)` is its encoded id then `,value` per name of the shape. `rawId` when the
   * id's encoding differs from it; `origins` for a row folded from several lines, else `source` and `line`.
   * `stable`: `src` stays put until the arena is handed a spare (see RowArena.takeSpare) or `settle` is called (a
   * chunk of the run-merge worker); otherwise `src` may be overwritten as soon as `row` returns.
   */
  row(src: Buffer, start: number, end: number, idBytes: number, shape: number, rawId: string | undefined, origins: readonly RowOrigin[] | undefined, source: number, line: number, seq: number, stable?: boolean): void;
  /**
   * The `stable` rows handed on so far may change once this returns (a spilled merge gives a chunk of them back
   * to the worker that wrote it): copy whatever was deferred.
   */
  settle?(): void;
  /** An id of policy `reject` whose rows disagree: every line of it is rejected. */
  conflict(row: MergedRow, seq: number): void;
}

const never = (): boolean => false;

export class HeldRows {
  readonly arena: RowArena;
  /** Raw ids of slots whose id percent-encoding changed (the arena holds the encoded id). */
  private readonly rawIds = new Map<number, string>();
  /** The ids seen more than once, as bytes. */
  private readonly folds = new FoldedRows();
  private readonly planner: FoldPlanner;
  /** First-seen sequence number per slot, when it is not the slot itself (a spilled partition). */
  private seqOf: Float64Array | undefined;
  private sideBytes = 0;

  constructor(
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    private readonly shapes: ShapeRegistry,
    /** Input labels, indexed by the source numbers rows carry (shared by every HeldRows of a run). */
    private readonly sources: readonly string[],
    options: { arenaChunkBytes?: number; arenaHeadRoom?: number; arenaPool?: ArenaBufferPool; trackSeq?: boolean } = {},
  ) {
    this.arena = new RowArena(options.arenaChunkBytes, options.arenaHeadRoom, options.arenaPool);
    this.planner = new FoldPlanner(shapes, merge.policy);
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
    this.fold(held, arena.buf, start, idBytes, end, shape, source, line);
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
    this.fold(held, this.arena.buf, start, idBytes, end, shape, source, line);
    return true;
  }

  /**
   * Folds the row `src[start, end)` into the row held for its id, when its id is held; false (nothing done) when
   * it is not. The rows held stay as they are: a merge past its budget keeps them and folds only into them,
   * while the rows of every other id go to disk (ArenaMerge).
   */
  foldIfHeld(src: Buffer, start: number, idBytes: number, end: number, shape: number, source: number, line: number): boolean {
    const held = this.arena.find(src, start, idBytes);
    if (held < 0) return false;
    this.fold(held, src, start, idBytes, end, shape, source, line);
    return true;
  }

  /**
   * Keeps only the rows of the first `slots` slots, and adds no id from now on (see RowArena.endAdding): a
   * merge past its budget has written the others out (SpilledMerge.spillHeldFrom) and folds later rows only
   * into these (foldIfHeld).
   */
  endAdding(slots: number, scratchBytes: number): void {
    for (const slot of [...this.rawIds.keys()]) if (slot >= slots) this.rawIds.delete(slot);
    this.arena.endAdding(slots, scratchBytes);
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

  /** Folds the row `src[start, end)` into the row `held` holds for its id. */
  private fold(held: number, src: Buffer, start: number, idBytes: number, end: number, shape: number, source: number, line: number): void {
    const arena = this.arena;
    const planner = this.planner;
    const folds = this.folds;
    const reject = this.merge.policy === 'reject';
    let row = folds.rowOf(held);
    const first = row < 0;
    let heldBuf: Buffer;
    let heldStart: number;
    let heldEnd: number;
    let plan: FoldPlan;
    if (first) {
      heldBuf = arena.bufferOf(held);
      heldStart = arena.startOfSlot(held);
      heldEnd = heldStart + arena.lengthOfSlot(held);
      plan = planner.plan(arena.shapeOfSlot(held), false, shape);
      row = folds.add(held, arena.sourceOfSlot(held), arena.lineOfSlot(held));
      arena.markFolded(held);
    } else {
      if (reject && folds.conflictOf(row) !== undefined) {
        folds.addOrigin(row, source, line); // rejected whatever comes: only its lines count
        return;
      }
      heldBuf = folds.bufferOf(row);
      heldStart = folds.startOf(row);
      heldEnd = folds.endOf(row);
      plan = planner.plan(folds.shapeOf(row), true, shape);
    }
    let conflict = -1;
    if (reject) {
      conflict = planner.firstConflict(plan, heldBuf, heldStart, heldEnd, idBytes, src, start + idBytes, end);
      const setBy = folds.setByOf(row);
      const incoming = folds.originsIn(row);
      if (conflict >= 0) {
        const heldValue = plan.common[conflict]!;
        folds.setConflict(row, { attribute: this.shapes.shapes[shape]!.names[conflict]!, held: setBy === undefined ? 0 : setBy[heldValue]!, incoming });
      } else if (plan.kind !== FoldKind.HELD) {
        const next: number[] = [];
        for (let k = 0; k < plan.count; k++) {
          const pick = plan.picks[k]!;
          next.push(pick < 0 ? incoming : setBy === undefined ? 0 : setBy[pick]!);
        }
        folds.setSetBy(row, next);
      }
    }
    // A first fold always writes: a spill reads the id back from the row's bytes, even a conflicting one's.
    if (first || (plan.kind !== FoldKind.HELD && conflict < 0)) {
      const at = folds.reserve(heldEnd - heldStart + end - start);
      folds.place(row, at, planner.write(plan, folds.buf, at, heldBuf, heldStart, heldEnd, idBytes, src, start + idBytes, end), plan.shape);
    }
    folds.addOrigin(row, source, line);
  }

  /**
   * Holds a row folded on bytes (read back from a spill): its bytes were just written at `arena.rowStart` and end
   * at `end`, of merged shape `shape` (FoldPlanner's registry, as bytesFolded has it); `origins` every [source,
   * line], flat; `rawId` when it differs from the encoded id; policy `reject`: `setBy` and `conflict` as
   * bytesFolded had them. Its id must not be held yet: a folded row is the first record of its id in a partition.
   */
  holdFoldedBytes(rawId: string | undefined, idBytes: number, end: number, shape: number, origins: readonly number[], seq: number, setBy?: readonly number[], conflict?: ByteConflict): void {
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
    if (setBy !== undefined) folds.setSetBy(row, setBy);
    if (conflict !== undefined) folds.setConflict(row, conflict);
  }

  /** The row of `slot` folded on bytes if its id was seen more than once, else -1: see bytesFolded. */
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
      } else {
        const folds = this.folds;
        const folded = folds.rowOf(slot);
        const origins = folds.originsOf(folded);
        const conflict = folds.conflictOf(folded);
        if (conflict !== undefined) target.conflict(this.conflicting(slot, folded, conflict), this.seqAt(slot));
        else target.row(folds.bufferOf(folded), folds.startOf(folded), folds.endOf(folded), arena.idBytesOfSlot(slot), this.planner.registryShape(folds.shapeOf(folded)), this.rawIdOf(slot), folds.rowOrigins(folded, this.sources), origins[0]!, origins[1]!, this.seqAt(slot));
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
    this.folds.clear();
    this.sideBytes = 0;
    if (this.seqOf !== undefined) this.seqOf = new Float64Array(0);
  }

  /** A conflicting id of policy `reject` as the MergedRow its rejects are made from (origins by identity). */
  private conflicting(slot: number, folded: number, conflict: ByteConflict): MergedRow {
    const arena = this.arena;
    const start = arena.startOfSlot(slot);
    const id = this.rawIdOf(slot) ?? arena.bufferOf(slot).toString('latin1', start, start + arena.idBytesOfSlot(slot));
    const origins = this.folds.rowOrigins(folded, this.sources);
    const row = new MergedRow(id, {}, origins, false);
    row.conflict = { attribute: conflict.attribute, held: origins[conflict.held]!, incoming: origins[conflict.incoming]! };
    return row;
  }

  private setSeq(slot: number, seq: number): void {
    let seqOf = this.seqOf!;
    if (slot >= seqOf.length) {
      this.seqOf = seqOf = widened(seqOf, Math.max(1024, seqOf.length * 2));
    }
    seqOf[slot] = seq;
  }
}

// The object fold's helpers: the presorted merge folds its one open group with them (and the byte fold's test
// holds HeldRows to them).

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
