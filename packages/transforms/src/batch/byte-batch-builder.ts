/**
 * The batch under construction, fed with encoded row bytes (the merge arena's lines) instead of strings.
 * Same arithmetic as BatchBuilder: the header only grows by appending names, so a row's cells never move
 * once placed and the body size is known exactly before the row is accepted. A row whose names map to
 * columns 0…n-1 in order is copied as is; others are re-laid into their columns, a few spans at a time.
 *
 * Copies are deferred into runs: the merge arena leaves an LF after each row, so rows it hands on in order sit
 * back to back, LF-separated, exactly as the body wants them. Such rows (the caller says their bytes stay put,
 * `stable`) only extend a pending run, copied with one `copy` when the run breaks, before build() and before
 * relocate(). Per-row `copy` calls were a fifth of the drain on the 1M-row reference export.
 */
import { encodeBatchHeader } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { Batch } from './batch.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import type { RowShape } from '../merge/row-shape.js';
import { BatchRows, defineLazyRows } from './batch-rows.js';
import { defineLazyDigest } from './batch-digest.js';

const LF = 0x0a;
const COMMA = 0x2c;
/**
 * Room kept in front of the lines for the header, so the body is built in place (no 50 MB copy); a header
 * larger than this (thousands of columns) is copied in front instead.
 */
export const HEADER_ROOM = 64 * 1024;
/**
 * A batch is built in place in the buffer its first row is read from only when that row starts at least
 * HEADER_ROOM and this much in: lines a little longer than their rows (empty cells between columns) eat into
 * it, and when it runs out the body moves to memory of its own (see tryAdd).
 */
export const IN_PLACE_SLACK_BYTES = 1024 * 1024;

/**
 * Spans shorter than this are copied 4 bytes at a time through DataViews: a Buffer `copy` call costs about as
 * much as 140 bytes of that (measured on Node 20), and makes a Uint8Array of garbage each time.
 */
const NATIVE_COPY_BYTES = 128;
/** Within one buffer, spans from this long are moved by copyWithin (~15 ns a call, no garbage). */
const SHORT_SPAN_BYTES = 16;

/** Where a shape's names sit in this batch: column per name, and how to lay a row of it out. */
interface ShapeColumns {
  readonly columns: Int32Array;
  readonly lastColumn: number;
  readonly inOrder: boolean;
  /**
   * The row in column order as triples (empty columns first, first value, last value): values first…last sit
   * side by side in the row and in the batch, so each triple is a few commas and one span of the row.
   */
  readonly pieces: Int32Array;
  /** The highest value index whose leading comma the pieces need (found by scanning the row up to it). */
  readonly scanTo: number;
}

export class ByteBatchBuilder {
  private readonly columnOf = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly shapeColumns: (ShapeColumns | undefined)[] = [];
  /**
   * The body under construction: data lines from HEADER_ROOM on, each with its LF. Sized for the largest
   * body up front; allocUnsafeSlow memory is only committed as it is written, so a small batch costs little.
   */
  private body: Buffer;
  private bodyView: DataView;
  /** The DataView of the last buffer spans were copied from. */
  private srcView: DataView | undefined;
  private srcOf: Buffer | undefined;
  /**
   * DataViews of the buffers rows came from: a spilled merge hands on rows from ~64 run readers in turn, and a
   * DataView made per row was a tenth of that drain (and its garbage).
   */
  private readonly views = new WeakMap<Buffer, DataView>();
  private linesLength = HEADER_ROOM;
  private readonly rowsOf = new BatchRows();
  private bodyBytes: number;
  private firstLine = Number.POSITIVE_INFINITY;
  private lastLine = Number.NEGATIVE_INFINITY;
  /** Scratch: where each value of the row being re-laid starts (its leading comma), then the row's end. */
  private commaAt = new Int32Array(64);
  /**
   * The pending run: `runSrc[runFrom, runTo)` belongs at `body[runAt, …)`, not copied yet. Its body range is
   * reserved (lines after it are written past it); an LF is already written right after it.
   */
  private runSrc: Buffer | undefined;
  private runFrom = 0;
  private runTo = 0;
  private runAt = 0;

  /**
   * While the body is built in place over rows still to be read from it: where those rows start (they are read
   * in order); -1 otherwise.
   */
  private readFrom = -1;
  /**
   * The body's memory holds nothing but this batch (fresh, a drained merge buffer, a released body): once the
   * batch is done with, it may be built in again. Not so for a merge buffer claimed in place, which may still
   * hold the next batch's first rows.
   */
  private ownsBody: boolean;

  /**
   * @param body a buffer of at least HEADER_ROOM + maxBytes to build in (it becomes the batch's)
   * @param inPlace `body` still holds rows to be added, from the first one on (`stable` rows, in order, at least
   * HEADER_ROOM in): lines are written behind them (see tryAdd)
   */
  constructor(
    private readonly options: ResolvedBatchOptions,
    body?: Buffer,
    inPlace = false,
  ) {
    if (inPlace) this.readFrom = HEADER_ROOM;
    this.ownsBody = !inPlace;
    this.bodyBytes = 'batch='.length + options.idType.length + 1;
    this.body = body ?? Buffer.allocUnsafeSlow(HEADER_ROOM + options.maxBytes);
    this.bodyView = viewOf(this.body);
  }

  /**
   * Moves the lines built so far into `into` (at least HEADER_ROOM + maxBytes) and goes on building there: a
   * batch started in fresh memory moves into a merge buffer as soon as the drain frees one.
   */
  relocate(into: Buffer): void {
    this.flushRun();
    this.body.copy(into, HEADER_ROOM, HEADER_ROOM, this.linesLength);
    this.body = into;
    this.bodyView = viewOf(into);
    this.ownsBody = true;
  }

  /**
   * Stops building in place, if it was: the lines so far move to memory of the body's own (fresh, committed only
   * as far as lines are written).
   */
  leavePlace(): void {
    this.readFrom = -1;
    this.relocate(Buffer.allocUnsafeSlow(this.body.length));
    // Nor does it hold on to the buffer rows were last copied from (a merge buffer the drain let go).
    this.srcOf = undefined;
    this.srcView = undefined;
  }

  /**
   * Copies the pending run into the body. Call before the buffer a `stable` row came from can change: the
   * batcher does before it takes a freed merge buffer (which may be that buffer).
   */
  flushRun(): void {
    const src = this.runSrc;
    if (src === undefined) return;
    this.runSrc = undefined;
    this.copy(src, this.runFrom, this.runTo, this.runAt);
  }

  private viewOfSource(src: Buffer): DataView {
    if (src !== this.srcOf) {
      let view = this.views.get(src);
      if (view === undefined) {
        view = viewOf(src);
        this.views.set(src, view);
      }
      this.srcOf = src;
      this.srcView = view;
    }
    return this.srcView!;
  }

  /** Copies `src[from, to)` into the body at `at`; returns the write end. */
  private copy(src: Buffer, from: number, to: number, at: number): number {
    // Within the body (built in place): copyWithin is one cheap native call, with no view to make.
    if (src === this.body && to - from >= SHORT_SPAN_BYTES) {
      src.copyWithin(at, from, to);
      return at + (to - from);
    }
    if (to - from >= NATIVE_COPY_BYTES) return at + src.copy(this.body, at, from, to);
    const source = this.viewOfSource(src);
    const body = this.bodyView;
    let i = from;
    for (const end4 = to - 3; i < end4; i += 4, at += 4) body.setUint32(at, source.getUint32(i, true), true);
    for (; i < to; i++) this.body[at++] = src[i]!;
    return at;
  }

  get rows(): number {
    return this.rowsOf.count;
  }

  /**
   * After build(): the memory the batch's body lies in, when nothing else is in it and it can take another
   * batch (HEADER_ROOM + maxBytes at least) once the batch is released (see ByteBatcher); else undefined.
   */
  get reusableBuffer(): Buffer | undefined {
    return this.ownsBody && this.body.length >= HEADER_ROOM + this.options.maxBytes ? this.body : undefined;
  }

  get full(): boolean {
    return this.rowsOf.count >= this.options.maxRows;
  }

  /**
   * Adds the row `src[start, end)` (encoded id, then `,value` per name of `shape`) when the body stays strictly
   * below maxBytes and within maxRows; false (and no change) otherwise. `rawId` is given when the id's
   * encoding differs from it; `origins` for a merged row, else its one origin is `source` and `line`.
   * `stable`: `src[start, end)` stays as it is until flushRun(), build() or relocate() (an arena row), so its
   * copy may be deferred into a run.
   */
  tryAdd(
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
  ): boolean {
    if (this.full) return false;
    let placed = this.shapeColumns[shape.id];
    let headerGrowth = 0;
    let lastColumn: number;
    if (placed !== undefined) {
      lastColumn = placed.lastColumn;
    } else {
      lastColumn = -1;
      let nextColumn = this.names.length;
      const names = shape.names;
      for (let i = 0; i < names.length; i++) {
        let column = this.columnOf.get(names[i]!);
        if (column === undefined) {
          column = nextColumn++;
          headerGrowth += 1 + shape.encodedNames[i]!.length;
        }
        if (column > lastColumn) lastColumn = column;
      }
    }
    const n = shape.names.length;
    const valueBytes = end - start - idBytes - n;
    const lineBytes = idBytes + lastColumn + 1 + valueBytes + 1;
    const bodyBytes = this.bodyBytes + headerGrowth + lineBytes;
    if (bodyBytes >= this.options.maxBytes) return false;

    if (this.readFrom >= 0) {
      // Built in place over rows still to be read (ByteBatcher's claimInPlace): a line may only be written behind
      // the rows not read yet. Where it would not be, the body moves to memory of its own.
      if (src === this.body) {
        if (this.linesLength + lineBytes > start) this.leavePlace();
        else this.readFrom = end;
        stable = false; // copied at once: the bytes behind it are overwritten next
      } else if (stable) {
        this.readFrom = -1; // a row from a later buffer: the drain has read all of this one
      } else if (this.linesLength + lineBytes > this.readFrom) {
        this.leavePlace(); // a merged row (its own buffer) still lands behind what is left to read, or moves
      }
    }
    if (placed === undefined) placed = this.place(shape);
    let o: number;
    if (placed.inOrder) {
      o = this.put(src, start, end, stable);
    } else {
      o = this.relay(src, start, end, idBytes, n, placed, stable);
    }
    this.body[o++] = LF;
    this.linesLength = o;
    this.rowsOf.add(rawId, origins, source, line);
    if (origins === undefined) {
      if (line < this.firstLine) this.firstLine = line;
      if (line > this.lastLine) this.lastLine = line;
    } else {
      for (const origin of origins) {
        if (origin.line < this.firstLine) this.firstLine = origin.line;
        if (origin.line > this.lastLine) this.lastLine = origin.line;
      }
    }
    this.bodyBytes = bodyBytes;
    return true;
  }

  /**
   * Writes `src[from, to)`, the start of a line, at the end of the lines; returns the write end. A stable span
   * that follows the pending run in `src` (after the LF that ends the run's last line, with nothing written
   * after that line) extends the run; another stable span starts a new run; the rest is copied now.
   */
  private put(src: Buffer, from: number, to: number, stable: boolean): number {
    const at = this.linesLength;
    if (stable) {
      const runTo = this.runTo;
      if (src === this.runSrc && from === runTo + 1 && src[runTo] === LF && at === this.runAt + (runTo - this.runFrom) + 1) {
        this.runTo = to;
        return at + (to - from);
      }
      this.flushRun();
      this.runSrc = src;
      this.runFrom = from;
      this.runTo = to;
      this.runAt = at;
      return at + (to - from);
    }
    return this.copy(src, from, to, at);
  }

  /** Gives the shape's new names their columns (the row was accepted) and remembers where its names sit. */
  private place(shape: RowShape): ShapeColumns {
    const n = shape.names.length;
    const columns = new Int32Array(n);
    let lastColumn = -1;
    let inOrder = true;
    shape.names.forEach((name, i) => {
      let column = this.columnOf.get(name);
      if (column === undefined) {
        column = this.names.push(name) - 1;
        this.columnOf.set(name, column);
      }
      columns[i] = column;
      if (column !== i) inOrder = false;
      if (column > lastColumn) lastColumn = column;
    });
    const valueIn = new Int32Array(lastColumn + 1).fill(-1);
    for (let i = 0; i < n; i++) valueIn[columns[i]!] = i;
    const pieces: number[] = [];
    let scanTo = 0;
    let empty = 0;
    for (let column = 0; column <= lastColumn; column++) {
      const first = valueIn[column]!;
      if (first < 0) {
        empty++;
        continue;
      }
      let last = first;
      while (column < lastColumn && valueIn[column + 1] === last + 1) {
        column++;
        last++;
      }
      pieces.push(empty, first, last);
      empty = 0;
      scanTo = Math.max(scanTo, first, last + 1 < n ? last + 1 : 0);
    }
    if (this.commaAt.length < n + 1) this.commaAt = new Int32Array(n + 1);
    const placed = { columns, lastColumn, inOrder, pieces: Int32Array.from(pieces), scanTo };
    this.shapeColumns[shape.id] = placed;
    return placed;
  }

  /**
   * Writes the row with each value in its column (empty cells between, none after the last value): the id and
   * the spans of values that stay side by side, found by scanning the row only as far as the spans need.
   */
  private relay(src: Buffer, start: number, end: number, idBytes: number, n: number, placed: ShapeColumns, stable: boolean): number {
    const commaAt = this.commaAt;
    // Encoded values hold no comma: the row's commas are exactly its cell boundaries.
    let p = start + idBytes;
    commaAt[0] = p;
    const scanTo = placed.scanTo;
    if (scanTo > 0) {
      const view = this.viewOfSource(src);
      for (let k = 1; k <= scanTo; k++) {
        p++;
        // Four bytes at a time: a zero byte of x marks a comma (the lowest marked byte is the first comma).
        for (;;) {
          if (p + 4 > end) {
            while (p < end && src[p] !== COMMA) p++;
            break;
          }
          const x = view.getUint32(p, true) ^ 0x2c2c2c2c;
          const marks = (x - 0x01010101) & ~x & 0x80808080;
          if (marks !== 0) {
            p += (31 - Math.clz32(marks & -marks)) >> 3;
            break;
          }
          p += 4;
        }
        commaAt[k] = p;
      }
    }
    commaAt[n] = end;
    const pieces = placed.pieces;
    const lines = this.body;
    let o: number;
    let i = 0;
    // The id, with the first span when that is the row's first values in the first columns (no empty cell).
    if (pieces[0] === 0 && pieces[1] === 0) {
      o = this.put(src, start, commaAt[pieces[2]! + 1]!, stable);
      i = 3;
    } else {
      o = this.put(src, start, start + idBytes, stable);
    }
    for (; i < pieces.length; i += 3) {
      for (let empty = pieces[i]!; empty > 0; empty--) lines[o++] = COMMA;
      o = this.copy(src, commaAt[pieces[i + 1]!]!, commaAt[pieces[i + 2]! + 1]!, o);
    }
    return o;
  }

  /** The finished batch. The builder must not be used afterwards. */
  build(seq: number): Batch {
    this.flushRun();
    const header = encodeBatchHeader(this.options.idType, this.names);
    const headerBytes = header.length + 1; // encoded: ASCII
    let body: Buffer;
    if (headerBytes <= HEADER_ROOM) {
      const start = HEADER_ROOM - headerBytes;
      this.body.write(header, start, 'latin1');
      this.body[HEADER_ROOM - 1] = LF;
      body = this.body.subarray(start, this.linesLength);
    } else {
      body = Buffer.allocUnsafeSlow(headerBytes + this.linesLength - HEADER_ROOM);
      body.write(header, 0, 'latin1');
      body[headerBytes - 1] = LF;
      this.body.copy(body, headerBytes, HEADER_ROOM, this.linesLength);
    }
    // The caps are only as good as the arithmetic: a mismatch is a bug, and must never reach Target.
    if (body.length !== this.bodyBytes) {
      throw new Error(`bulkpipe bug: batch ${seq} body is ${body.length} bytes, the batcher computed ${this.bodyBytes}`);
    }
    const fields = {
      seq,
      body,
      rows: this.rowsOf.count,
      bytes: body.length,
      firstLine: this.firstLine,
      lastLine: this.lastLine,
    };
    this.rowsOf.linesAre(body, headerBytes);
    // The digest when first read (or settled by a sink that hashed the written file off this thread).
    return defineLazyRows(defineLazyDigest(fields, body), this.rowsOf);
  }
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}
