/**
 * The ids and origins of a batch's rows, held compactly and turned into the `Batch.ids` / `Batch.origins`
 * arrays only when someone reads them. `bulkpipe split` never does: a million small id strings, origin objects
 * and one-element arrays were ~39 MB of heap per 270,000-row batch, alive while the batch waited for its file.
 * The upload reads them once per batch.
 *
 * The ids are read back from the body, where each line starts with its encoded id (its raw id is that text
 * unless the encoding changed it: those are kept aside), so a row costs only its line number here.
 *
 * The upload reads every batch's rows once (journal sample, row index) and only the first and last origin
 * otherwise: `rowCursor` and `edgeSources` give it those without the arrays, which — alive while the batch
 * was in flight, two or three batches at a time — took `bulkpipe run` of the 1M-row export from split's
 * ~370 MB to ~770 MB peak RSS.
 */
import type { RowOrigin } from '@bulkpipe/core';
import type { Batch } from './batch.js';

/** A batch's rows one at a time, in body order, with no per-batch arrays made (see rowCursor). */
export interface BatchRowCursor {
  /** Moves to the next row (the first, on the first call); false once past the last. */
  next(): boolean;
  /** The row's raw id (made on first read). */
  readonly id: string;
  /**
   * When the row's raw id is exactly the text of its encoded id in the body (its encoding changed nothing, as
   * for most ids): the body, with the id at `[idFrom, idTo)` — readers can use the bytes and skip the string.
   */
  readonly idBuffer: Buffer | undefined;
  readonly idFrom: number;
  readonly idTo: number;
  /** The row's first origin. */
  readonly source: string;
  readonly line: number;
  /** Every origin, when the row has other than exactly one (a merged row); undefined otherwise. */
  readonly origins: readonly RowOrigin[] | undefined;
}

/**
 * Line numbers are kept in blocks of this many rows, added as the batch grows. One array doubled from 16k rows
 * to a 270,000-row batch left ~4 MB of copies per batch for the GC: the drain of the 1M-row reference export
 * rose ~8 MB above the merge's peak RSS.
 */
const BLOCK_SHIFT = 14;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK_ROWS - 1;
const COMMA = 0x2c;
const LF = 0x0a;

export class BatchRows {
  /** Row r's line is `lineBlocks[r >> BLOCK_SHIFT][r & BLOCK_MASK]` (rows with one origin). */
  private readonly lineBlocks: Float64Array[] = [];
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
      if (row >> BLOCK_SHIFT === this.lineBlocks.length) this.lineBlocks.push(new Float64Array(BLOCK_ROWS));
      if (this.runSource[this.runSource.length - 1] !== source) {
        this.runRow.push(row);
        this.runSource.push(source);
      }
      this.lineBlocks[row >> BLOCK_SHIFT]![row & BLOCK_MASK] = line;
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
    const rows = this.cursor();
    for (let row = 0; rows.next(); row++) ids[row] = rows.id;
    return ids;
  }

  /** The rows in order without the arrays: ids read back from the body's lines, origins from the runs and maps. */
  cursor(): BatchRowCursor {
    const { rawIds, multi, runRow, runSource } = this;
    const lines = this.lines!;
    let at = this.linesFrom;
    let run = -1;
    return new RowCursor(this.count, (row, cursor) => {
      let end = at;
      while (lines[end] !== COMMA && lines[end] !== LF) end++;
      const rawId = rawIds.get(row);
      if (rawId !== undefined) cursor.setId(rawId);
      else cursor.setIdBytes(lines, at, end);
      at = lines.indexOf(LF, end) + 1;
      const merged = multi.get(row);
      if (merged !== undefined) {
        cursor.origins = merged;
        cursor.source = merged[0]?.source ?? '';
        cursor.line = merged[0]?.line ?? 0;
      } else {
        while (run + 1 < runRow.length && runRow[run + 1]! <= row) run++;
        cursor.origins = undefined;
        cursor.source = runSource[run]!;
        cursor.line = this.lineOfRow(row);
      }
    });
  }

  /** The source of the first row's first origin and of the last row's last origin ('' when there are none). */
  edgeSources(): { first: string; last: string } {
    const firstMerged = this.multi.get(0);
    const first = (firstMerged !== undefined ? firstMerged[0]?.source : this.runSource[0]) ?? '';
    const lastMerged = this.multi.get(this.count - 1);
    const last = (lastMerged !== undefined ? lastMerged.at(-1)?.source : this.runSource.at(-1)) ?? first;
    return { first, last };
  }

  origins(): (readonly RowOrigin[])[] {
    const origins: (readonly RowOrigin[])[] = new Array<readonly RowOrigin[]>(this.count);
    let run = -1;
    for (let row = 0; row < this.count; row++) {
      while (run + 1 < this.runRow.length && this.runRow[run + 1]! <= row) run++;
      origins[row] = this.multi.get(row) ?? [{ source: this.runSource[run]!, line: this.lineOfRow(row) }];
    }
    return origins;
  }

  /** The line of a row with one origin. */
  private lineOfRow(row: number): number {
    return this.lineBlocks[row >> BLOCK_SHIFT]![row & BLOCK_MASK]!;
  }
}

/** A cursor over `count` rows; `read` fills in row `row`. */
class RowCursor implements BatchRowCursor {
  source = '';
  line = 0;
  origins: readonly RowOrigin[] | undefined;
  idBuffer: Buffer | undefined;
  idFrom = 0;
  idTo = 0;
  private idText: string | undefined;
  private row = -1;

  constructor(
    private readonly count: number,
    private readonly read: (row: number, cursor: RowCursor) => void,
  ) {}

  get id(): string {
    return (this.idText ??= this.idBuffer!.toString('latin1', this.idFrom, this.idTo));
  }

  setId(id: string): void {
    this.idText = id;
    this.idBuffer = undefined;
  }

  setIdBytes(buffer: Buffer, from: number, to: number): void {
    this.idText = undefined;
    this.idBuffer = buffer;
    this.idFrom = from;
    this.idTo = to;
  }

  next(): boolean {
    if (this.row + 1 >= this.count) return false;
    this.read(++this.row, this);
    return true;
  }
}

/** The compact rows behind the batches defineLazyRows made (other batches carry plain arrays). */
const compactRows = new WeakMap<object, BatchRows>();

/** The rows of any batch one at a time: from its compact rows when it has them (no arrays made), else its arrays. */
export function rowCursor(batch: Batch): BatchRowCursor {
  const compact = compactRows.get(batch);
  if (compact !== undefined) return compact.cursor();
  const { ids, origins } = batch;
  return new RowCursor(ids.length, (row, cursor) => {
    const all = origins[row] ?? [];
    cursor.setId(ids[row]!);
    cursor.source = all[0]?.source ?? '';
    cursor.line = all[0]?.line ?? 0;
    cursor.origins = all.length === 1 ? undefined : all;
  });
}

/** The source of a batch's first row's first origin and of its last row's last origin, without its arrays when it has compact rows. */
export function edgeSources(batch: Batch): { first: string; last: string } {
  const compact = compactRows.get(batch);
  if (compact !== undefined) return compact.edgeSources();
  const first = batch.origins[0]?.[0]?.source ?? '';
  return { first, last: batch.origins.at(-1)?.at(-1)?.source ?? first };
}

/** Gives `batch` enumerable `ids` and `origins` that are built from `rows` on first read, then kept. */
export function defineLazyRows<T extends object>(batch: T, rows: BatchRows): T & { readonly ids: readonly string[]; readonly origins: readonly (readonly RowOrigin[])[] } {
  compactRows.set(batch, rows);
  let ids: readonly string[] | undefined;
  let origins: readonly (readonly RowOrigin[])[] | undefined;
  let source: BatchRows | undefined = rows;
  const release = (): void => {
    if (ids !== undefined && origins !== undefined) source = undefined;
  };
  Object.defineProperties(batch, {
    ids: {
      enumerable: true,
      configurable: true,
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
      configurable: true,
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
