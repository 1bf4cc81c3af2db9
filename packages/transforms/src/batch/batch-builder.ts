/**
 * The one batch under construction. Placing a row is arithmetic on lengths computed once (Vector's batcher
 * shape): the header only ever grows by appending names, so a row's cells never move once placed, and the
 * body size is known exactly before the row is accepted.
 */
import { createHash } from 'node:crypto';
import { encodeBatchHeader, joinBatchLine } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { Batch } from './batch.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import type { EncodedRow } from './encoded-row.js';

const LF = 0x0a;

export class BatchBuilder {
  private readonly options: ResolvedBatchOptions;
  private readonly columnOf = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly lines: string[] = [];
  private readonly ids: string[] = [];
  private readonly origins: (readonly RowOrigin[])[] = [];
  /** Exact body size so far: header line with its LF, every data line with its LF. */
  private bodyBytes: number;
  private firstLine = Number.POSITIVE_INFINITY;
  private lastLine = Number.NEGATIVE_INFINITY;

  constructor(options: ResolvedBatchOptions) {
    this.options = options;
    this.bodyBytes = 'batch='.length + options.idType.length + 1;
  }

  get rows(): number {
    return this.lines.length;
  }

  get full(): boolean {
    return this.lines.length >= this.options.maxRows;
  }

  /** Adds the row when the body stays strictly below maxBytes and within maxRows; false (and no change) otherwise. */
  tryAdd(row: EncodedRow): boolean {
    if (this.full) return false;
    const { names, encodedNames } = row;
    let headerGrowth = 0;
    let nextColumn = this.names.length;
    let lastColumn = -1;
    for (let i = 0; i < names.length; i++) {
      let column = this.columnOf.get(names[i]!);
      if (column === undefined) {
        column = nextColumn++;
        headerGrowth += 1 + encodedNames[i]!.length;
      }
      if (column > lastColumn) lastColumn = column;
    }
    // The line: id, then one `,cell` per column up to its last value (trailing empty cells omitted), then LF.
    const lineBytes = row.encodedId.length + lastColumn + 1 + row.valueBytes + 1;
    const bodyBytes = this.bodyBytes + headerGrowth + lineBytes;
    if (bodyBytes >= this.options.maxBytes) return false;

    const cells: string[] = new Array<string>(lastColumn + 1).fill('');
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let column = this.columnOf.get(name);
      if (column === undefined) {
        column = this.names.push(name) - 1;
        this.columnOf.set(name, column);
      }
      cells[column] = row.encodedValues[i]!;
    }
    this.lines.push(joinBatchLine(row.encodedId, cells));
    this.ids.push(row.id);
    this.origins.push(row.origins);
    for (const origin of row.origins) {
      if (origin.line < this.firstLine) this.firstLine = origin.line;
      if (origin.line > this.lastLine) this.lastLine = origin.line;
    }
    this.bodyBytes = bodyBytes;
    return true;
  }

  /** The finished batch. The builder must not be used afterwards. */
  build(seq: number): Batch {
    const header = encodeBatchHeader(this.options.idType, this.names);
    const body = Buffer.allocUnsafe(this.bodyBytes);
    let offset = body.write(header, 0, 'latin1');
    body[offset++] = LF;
    for (const line of this.lines) {
      offset += body.write(line, offset, 'latin1');
      body[offset++] = LF;
    }
    // The caps are only as good as the arithmetic: a mismatch is a bug, and must never reach Target.
    if (offset !== this.bodyBytes) {
      throw new Error(`bulkpipe bug: batch ${seq} body is ${offset} bytes, the batcher computed ${this.bodyBytes}`);
    }
    return {
      seq,
      body,
      rows: this.lines.length,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      firstLine: this.firstLine,
      lastLine: this.lastLine,
      ids: this.ids,
      origins: this.origins,
    };
  }
}
