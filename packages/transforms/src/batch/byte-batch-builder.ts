/**
 * The batch under construction, fed with encoded row bytes (the merge arena's lines) instead of strings.
 * Same arithmetic as BatchBuilder: the header only grows by appending names, so a row's cells never move
 * once placed and the body size is known exactly before the row is accepted. A row whose names map to
 * columns 0…n-1 in order (most rows) is copied as is; others are re-laid into their columns.
 */
import { createHash } from 'node:crypto';
import { encodeBatchHeader } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { Batch } from './batch.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import type { RowShape } from '../merge/row-shape.js';
import { BatchRows, defineLazyRows } from './batch-rows.js';

const LF = 0x0a;
const COMMA = 0x2c;
/**
 * Room kept in front of the lines for the header, so the body is built in place (no 50 MB copy); a header
 * larger than this (thousands of columns) is copied in front instead.
 */
export const HEADER_ROOM = 64 * 1024;

/** Where a shape's names sit in this batch: column per name, and whether that is simply 0…n-1. */
interface ShapeColumns {
  readonly columns: Int32Array;
  readonly lastColumn: number;
  readonly inOrder: boolean;
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
  private linesLength = HEADER_ROOM;
  private readonly rowsOf = new BatchRows();
  private bodyBytes: number;
  private firstLine = Number.POSITIVE_INFINITY;
  private lastLine = Number.NEGATIVE_INFINITY;
  /** Scratch: where each value of the row being re-laid starts and ends. */
  private valueStart = new Int32Array(64);
  private valueEnd = new Int32Array(64);

  /** @param body a buffer of at least HEADER_ROOM + maxBytes to build in (it becomes the batch's) */
  constructor(
    private readonly options: ResolvedBatchOptions,
    body?: Buffer,
  ) {
    this.bodyBytes = 'batch='.length + options.idType.length + 1;
    this.body = body ?? Buffer.allocUnsafeSlow(HEADER_ROOM + options.maxBytes);
  }

  /**
   * Moves the lines built so far into `into` (at least HEADER_ROOM + maxBytes) and goes on building there: a
   * batch started in fresh memory moves into a merge buffer as soon as the drain frees one.
   */
  relocate(into: Buffer): void {
    this.body.copy(into, HEADER_ROOM, HEADER_ROOM, this.linesLength);
    this.body = into;
  }

  get rows(): number {
    return this.rowsOf.count;
  }

  get full(): boolean {
    return this.rowsOf.count >= this.options.maxRows;
  }

  /**
   * Adds the row `src[start, end)` (encoded id, then `,value` per name of `shape`) when the body stays strictly
   * below maxBytes and within maxRows; false (and no change) otherwise. `rawId` is given when the id's
   * encoding differs from it; `origins` for a merged row, else its one origin is `source` and `line`.
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

    if (placed === undefined) placed = this.place(shape);
    const lines = this.body;
    let o = this.linesLength;
    if (placed.inOrder) {
      o += src.copy(lines, o, start, end);
    } else {
      o = this.relay(src, start, end, idBytes, placed, lines, o);
    }
    lines[o++] = LF;
    this.linesLength = o;
    this.rowsOf.add(src, start, idBytes, rawId, origins, source, line);
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

  /** Gives the shape's new names their columns (the row was accepted) and remembers where its names sit. */
  private place(shape: RowShape): ShapeColumns {
    const columns = new Int32Array(shape.names.length);
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
    const placed = { columns, lastColumn, inOrder };
    this.shapeColumns[shape.id] = placed;
    return placed;
  }

  /** Writes the row with each value in its column (empty cells between, none after the last value). */
  private relay(src: Uint8Array, start: number, end: number, idBytes: number, placed: ShapeColumns, lines: Buffer, at: number): number {
    const n = placed.columns.length;
    if (this.valueStart.length < placed.lastColumn + 1) {
      this.valueStart = new Int32Array(placed.lastColumn + 1);
      this.valueEnd = new Int32Array(placed.lastColumn + 1);
    }
    const valueStart = this.valueStart;
    const valueEnd = this.valueEnd;
    valueStart.fill(-1, 0, placed.lastColumn + 1);
    // Encoded values hold no comma: the row's commas are exactly its cell boundaries.
    let p = start + idBytes;
    for (let i = 0; i < n; i++) {
      const from = p + 1;
      let to = from;
      while (to < end && src[to] !== COMMA) to++;
      const column = placed.columns[i]!;
      valueStart[column] = from;
      valueEnd[column] = to;
      p = to;
    }
    let o = at + copyBytes(src, start, start + idBytes, lines, at);
    for (let column = 0; column <= placed.lastColumn; column++) {
      lines[o++] = COMMA;
      const from = valueStart[column]!;
      if (from >= 0) o += copyBytes(src, from, valueEnd[column]!, lines, o);
    }
    return o;
  }

  /** The finished batch. The builder must not be used afterwards. */
  build(seq: number): Batch {
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
      sha256: createHash('sha256').update(body).digest('hex'),
      firstLine: this.firstLine,
      lastLine: this.lastLine,
    };
    return defineLazyRows(fields, this.rowsOf);
  }
}

function copyBytes(src: Uint8Array, from: number, to: number, target: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) target[at + i - from] = src[i]!;
  return to - from;
}
