/**
 * The ids and origins of a batch's rows, held compactly and turned into the `Batch.ids` / `Batch.origins`
 * arrays only when someone reads them. `bulkpipe split` never does: a million small id strings, origin objects
 * and one-element arrays were ~39 MB of heap per 270,000-row batch, alive while the batch waited for its file.
 * The upload reads them once per batch.
 *
 * The ids are read back from the body, where each line starts with its encoded id (its raw id is that text
 * unless the encoding changed it: those are kept aside), so a row costs only its line number here.
 */
import type { RowOrigin } from '@bulkpipe/core';
import { widened } from '../typed-arrays.js';

/** Rows room is made for at first: doubling from a few thousand to a 270,000-row batch copied its array 9 times. */
const INITIAL_ROWS = 16 * 1024;
const COMMA = 0x2c;
const LF = 0x0a;

export class BatchRows {
  private lineOf = new Float64Array(INITIAL_ROWS);
  /** Sources as runs: the first row of each run (rows folded from several lines do not count) and its source. */
  private readonly runRow: number[] = [];
  private readonly runSource: string[] = [];
  /** Rows whose id percent-encoding differs from the id. */
  private readonly rawIds = new Map<number, string>();
  /** Rows folded from several input lines. */
  private readonly multi = new Map<number, readonly RowOrigin[]>();
  /** The batch's lines, once it is built: line `row` starts with the row's encoded id. */
  private lines: Buffer | undefined;
  private linesFrom = 0;
  count = 0;

  /** Records a row: its raw id when that differs from its encoded id, and either its one origin (`source`, `line`) or, for a merged row, all of its `origins`. */
  add(rawId: string | undefined, origins: readonly RowOrigin[] | undefined, source: string, line: number): void {
    const row = this.count;
    if (rawId !== undefined) this.rawIds.set(row, rawId);
    if (origins !== undefined) {
      this.multi.set(row, origins);
    } else {
      if (row === this.lineOf.length) this.lineOf = widened(this.lineOf, row * 2);
      if (this.runSource[this.runSource.length - 1] !== source) {
        this.runRow.push(row);
        this.runSource.push(source);
      }
      this.lineOf[row] = line;
    }
    this.count++;
  }

  /** The built body, whose lines (one per row, in order) start at `from`. */
  linesAre(body: Buffer, from: number): void {
    this.lines = body;
    this.linesFrom = from;
  }

  ids(): string[] {
    const ids: string[] = new Array<string>(this.count);
    const lines = this.lines!;
    let at = this.linesFrom;
    for (let row = 0; row < this.count; row++) {
      let end = at;
      while (lines[end] !== COMMA && lines[end] !== LF) end++;
      ids[row] = this.rawIds.get(row) ?? lines.toString('latin1', at, end);
      at = lines.indexOf(LF, end) + 1;
    }
    return ids;
  }

  origins(): (readonly RowOrigin[])[] {
    const origins: (readonly RowOrigin[])[] = new Array<readonly RowOrigin[]>(this.count);
    let run = -1;
    for (let row = 0; row < this.count; row++) {
      while (run + 1 < this.runRow.length && this.runRow[run + 1]! <= row) run++;
      origins[row] = this.multi.get(row) ?? [{ source: this.runSource[run]!, line: this.lineOf[row]! }];
    }
    return origins;
  }
}

/** Gives `batch` enumerable `ids` and `origins` that are built from `rows` on first read, then kept. */
export function defineLazyRows<T extends object>(batch: T, rows: BatchRows): T & { readonly ids: readonly string[]; readonly origins: readonly (readonly RowOrigin[])[] } {
  let ids: readonly string[] | undefined;
  let origins: readonly (readonly RowOrigin[])[] | undefined;
  let source: BatchRows | undefined = rows;
  const release = (): void => {
    if (ids !== undefined && origins !== undefined) source = undefined;
  };
  Object.defineProperties(batch, {
    ids: {
      enumerable: true,
      get: () => {
        if (ids === undefined) {
          ids = source!.ids();
          release();
        }
        return ids;
      },
    },
    origins: {
      enumerable: true,
      get: () => {
        if (origins === undefined) {
          origins = source!.origins();
          release();
        }
        return origins;
      },
    },
  });
  return batch as T & { readonly ids: readonly string[]; readonly origins: readonly (readonly RowOrigin[])[] };
}
