/**
 * The ids and origins of a batch's rows, held compactly (id bytes in one buffer, lines in a typed array)
 * and turned into the `Batch.ids` / `Batch.origins` arrays only when someone reads them. `bulkpipe split`
 * never does: a million small id strings, origin objects and one-element arrays were ~39 MB of heap per
 * 270,000-row batch, alive while the batch waited for its file. The upload reads them once per batch.
 */
import type { RowOrigin } from '@bulkpipe/core';

/** Rows room is made for at first: doubling from a few thousand to a 270,000-row batch was ~15 ms of copies a run. */
const INITIAL_ROWS = 16 * 1024;

export class BatchRows {
  /** Encoded id bytes of every row, back to back; a row's raw id is their latin1 text unless in rawIds. */
  private idBytes = Buffer.allocUnsafe(16 * INITIAL_ROWS);
  private idLength = 0;
  private idEnd = new Int32Array(INITIAL_ROWS);
  private lineOf = new Float64Array(INITIAL_ROWS);
  private sourceOf = new Int32Array(INITIAL_ROWS);
  private readonly sources: string[] = [];
  /** Rows whose id percent-encoding differs from the id. */
  private readonly rawIds = new Map<number, string>();
  /** Rows folded from several input lines. */
  private readonly multi = new Map<number, readonly RowOrigin[]>();
  count = 0;

  /**
   * Records a row: its encoded id `src[start, start + idBytes)`, its raw id when that differs, and either its
   * one origin (`source`, `line`) or, for a merged row, all of its `origins`.
   */
  add(src: Buffer, start: number, idBytes: number, rawId: string | undefined, origins: readonly RowOrigin[] | undefined, source: string, line: number): void {
    const row = this.count;
    if (row === this.idEnd.length) this.grow();
    if (this.idLength + idBytes > this.idBytes.length) {
      const wider = Buffer.allocUnsafe(Math.max(this.idBytes.length * 2, this.idLength + idBytes));
      this.idBytes.copy(wider, 0, 0, this.idLength);
      this.idBytes = wider;
    }
    const ids = this.idBytes;
    let o = this.idLength;
    for (let i = start; i < start + idBytes; i++) ids[o++] = src[i]!;
    this.idLength = o;
    this.idEnd[row] = o;
    if (rawId !== undefined) this.rawIds.set(row, rawId);
    if (origins !== undefined) {
      this.multi.set(row, origins);
    } else {
      let index = this.sources.length - 1;
      if (this.sources[index] !== source) {
        index = this.sources.indexOf(source);
        if (index < 0) index = this.sources.push(source) - 1;
      }
      this.sourceOf[row] = index;
      this.lineOf[row] = line;
    }
    this.count++;
  }

  ids(): string[] {
    const ids: string[] = new Array<string>(this.count);
    let from = 0;
    for (let row = 0; row < this.count; row++) {
      const end = this.idEnd[row]!;
      ids[row] = this.rawIds.get(row) ?? this.idBytes.toString('latin1', from, end);
      from = end;
    }
    return ids;
  }

  origins(): (readonly RowOrigin[])[] {
    const origins: (readonly RowOrigin[])[] = new Array<readonly RowOrigin[]>(this.count);
    for (let row = 0; row < this.count; row++) {
      origins[row] = this.multi.get(row) ?? [{ source: this.sources[this.sourceOf[row]!]!, line: this.lineOf[row]! }];
    }
    return origins;
  }

  private grow(): void {
    const rows = this.idEnd.length * 2;
    const idEnd = new Int32Array(rows);
    idEnd.set(this.idEnd);
    this.idEnd = idEnd;
    const lineOf = new Float64Array(rows);
    lineOf.set(this.lineOf);
    this.lineOf = lineOf;
    const sourceOf = new Int32Array(rows);
    sourceOf.set(this.sourceOf);
    this.sourceOf = sourceOf;
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
