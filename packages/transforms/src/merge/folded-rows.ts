/**
 * The rows of ids seen more than once, folded on bytes (every policy, see byte-fold.ts): each is
 * its batch line bytes (encoded id, then `,value` per name of its shape) in a store of Buffers, a shape (of the
 * merged registry, see byte-fold.ts), and its origins (every input line, in order) as [source index, line].
 *
 * A row folded again is rewritten where it is when it still fits its room there, else moved to the end with some
 * slack (a later value of policy `last` may be longer), so the store grows with the folded rows' sizes, not with
 * the number of folds. The store grows by whole chunks (16 KiB doubling up to 1 MiB): no copy of what it holds, and
 * no grown-out buffer left for the collector (~8 MB of external memory on the reference export, as a doubling Buffer).
 */
import type { RowOrigin } from '@bulkpipe/core';
import { widened } from '../typed-arrays.js';

/** Policy `reject`: two rows of the id disagree on `attribute`; `held` and `incoming` index the row's origins. */
export interface ByteConflict {
  readonly attribute: string;
  readonly held: number;
  readonly incoming: number;
}

const FIRST_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;
const INITIAL_ROWS = 256;
/** Room left after a row moved to the end, for longer values folded in later. */
const SLACK_BYTES = 32;
/** Heap estimate per folded row beyond its bytes: index entries, map entry, origins array. */
const ROW_OVERHEAD_BYTES = 120;
/** Per origin: two numbers in its row's origins array. */
const ORIGIN_BYTES = 16;
/** Per setBy array or conflict (policy `reject`), beyond 8 bytes per value. */
const SET_BY_BYTES = 32;

export class FoldedRows {
  /** The chunk rows are written to (see reserve); a row is `bufferOf(i)[startOf(i), endOf(i))`. */
  buf: Buffer = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];
  /** Bytes taken in `buf`, and in every chunk (rows, their slack, rooms left by moved rows). */
  private used = 0;
  private takenBytes = 0;
  private size = 0;
  private originCount = 0;
  private chunkOf: Int32Array = new Int32Array(INITIAL_ROWS);
  private starts: Int32Array = new Int32Array(INITIAL_ROWS);
  private lengths: Int32Array = new Int32Array(INITIAL_ROWS);
  private rooms: Int32Array = new Int32Array(INITIAL_ROWS);
  private shapes: Int32Array = new Int32Array(INITIAL_ROWS);
  private origins: number[][] = [];
  /** Policy `reject`: per row, which origin (index) set each value; and the rows that conflict. */
  private setBy: (readonly number[] | undefined)[] = [];
  private readonly conflicts = new Map<number, ByteConflict>();
  /** Estimated heap of the setBy arrays made so far (replaced ones too, until collected). */
  private setByBytes = 0;
  /** Held slot → folded row. */
  private readonly rowOfSlot = new Map<number, number>();

  /** Bytes of the rows (with their slack and the room moved rows left), as RowArena counts its rows, plus the index. */
  get estimatedBytes(): number {
    return this.takenBytes + this.size * ROW_OVERHEAD_BYTES + this.originCount * ORIGIN_BYTES + this.setByBytes;
  }

  /** The folded row of a held slot, or -1. */
  rowOf(slot: number): number {
    return this.rowOfSlot.size > 0 ? (this.rowOfSlot.get(slot) ?? -1) : -1;
  }

  /** A new folded row for `slot`, first seen at `source`, `line`; write its bytes with `reserve` and `place`. */
  add(slot: number, source: number, line: number): number {
    const row = this.size++;
    if (row === this.starts.length) this.grow(row * 2);
    this.starts[row] = 0;
    this.lengths[row] = 0;
    this.rooms[row] = 0;
    this.shapes[row] = -1;
    this.origins.push([source, line]);
    this.setBy.push(undefined);
    this.originCount++;
    this.rowOfSlot.set(slot, row);
    return row;
  }

  /** Origins of a row so far. */
  originsIn(row: number): number {
    return this.origins[row]!.length >> 1;
  }

  /** Policy `reject`: which origin set each value of the row, by index; undefined: the first one set them all. */
  setByOf(row: number): readonly number[] | undefined {
    return this.setBy[row];
  }

  setSetBy(row: number, setBy: readonly number[]): void {
    this.setBy[row] = setBy;
    this.setByBytes += SET_BY_BYTES + 8 * setBy.length;
  }

  conflictOf(row: number): ByteConflict | undefined {
    return this.conflicts.size > 0 ? this.conflicts.get(row) : undefined;
  }

  setConflict(row: number, conflict: ByteConflict): void {
    this.conflicts.set(row, conflict);
    this.setByBytes += SET_BY_BYTES;
  }

  /** Adds a later line to a folded row's origins. */
  addOrigin(row: number, source: number, line: number): void {
    this.origins[row]!.push(source, line);
    this.originCount++;
  }

  /** Where up to `bytes` bytes of a row can be written now in `buf` (a new chunk when the current one is full). */
  reserve(bytes: number): number {
    if (this.used + bytes + SLACK_BYTES > this.buf.length) {
      const next = Math.min(MAX_CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, 2 * this.buf.length));
      this.buf = Buffer.allocUnsafeSlow(Math.max(next, bytes + SLACK_BYTES));
      this.chunks.push(this.buf);
      this.used = 0;
    }
    return this.used;
  }

  /** Makes `buf[at, end)`, written at what `reserve` returned, the bytes of `row`, of shape `shape`. */
  place(row: number, at: number, end: number, shape: number): void {
    const length = end - at;
    if (length <= this.rooms[row]!) {
      this.buf.copy(this.chunks[this.chunkOf[row]!]!, this.starts[row]!, at, end);
    } else {
      this.chunkOf[row] = this.chunks.length - 1;
      this.starts[row] = at;
      this.rooms[row] = length + SLACK_BYTES;
      this.used = at + length + SLACK_BYTES;
      this.takenBytes += length + SLACK_BYTES;
    }
    this.lengths[row] = length;
    this.shapes[row] = shape;
  }

  bufferOf(row: number): Buffer {
    return this.chunks[this.chunkOf[row]!]!;
  }
  startOf(row: number): number {
    return this.starts[row]!;
  }
  endOf(row: number): number {
    return this.starts[row]! + this.lengths[row]!;
  }
  shapeOf(row: number): number {
    return this.shapes[row]!;
  }
  /** Every origin, [source, line] flat. */
  originsOf(row: number): readonly number[] {
    return this.origins[row]!;
  }

  /** The origins as RowOrigin objects (sources by index). */
  rowOrigins(row: number, sources: readonly string[]): RowOrigin[] {
    const flat = this.origins[row]!;
    const origins: RowOrigin[] = [];
    for (let i = 0; i < flat.length; i += 2) origins.push({ source: sources[flat[i]!]!, line: flat[i + 1]! });
    return origins;
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
    this.chunks.length = 0;
    this.used = 0;
    this.takenBytes = 0;
    this.chunkOf = new Int32Array(INITIAL_ROWS);
    this.size = 0;
    this.originCount = 0;
    this.starts = new Int32Array(INITIAL_ROWS);
    this.lengths = new Int32Array(INITIAL_ROWS);
    this.rooms = new Int32Array(INITIAL_ROWS);
    this.shapes = new Int32Array(INITIAL_ROWS);
    this.origins = [];
    this.setBy = [];
    this.conflicts.clear();
    this.setByBytes = 0;
    this.rowOfSlot.clear();
  }

  private grow(rows: number): void {
    this.chunkOf = widened(this.chunkOf, rows);
    this.starts = widened(this.starts, rows);
    this.lengths = widened(this.lengths, rows);
    this.rooms = widened(this.rooms, rows);
    this.shapes = widened(this.shapes, rows);
  }
}
