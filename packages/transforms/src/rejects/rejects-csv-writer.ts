/**
 * Writes rejects.csv: one line per rejected input line, with why, and the line's original fields.
 *
 * Columns: `line,id,code,message,source`, then one column per original field, then `other_fields`. The field
 * columns are the `fieldNames` option, or else the field names of the first reject that carries fields. A
 * reject whose fields have other names (inputs with different headers) keeps those in `other_fields` as a
 * JSON object, so nothing is lost and every line has the same columns. Rejects without fields (merge and batch
 * rejects name lines, not fields) leave the field columns empty.
 *
 * Rejects arrive through a synchronous event, so the writer cannot wait for a stream to drain: it buffers CSV
 * text up to `maxBufferedBytes` and writes it to the file synchronously, which keeps memory bounded however
 * many rows are rejected.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { BulkpipeError, ErrorCode, invalidOption } from '@bulkpipe/core';
import type { RejectedRow } from '@bulkpipe/core';
import { neutraliseCell } from './neutralise-cell.js';

export const REJECT_COLUMNS = ['line', 'id', 'code', 'message', 'source'] as const;
export const OTHER_FIELDS_COLUMN = 'other_fields';

/** Rejects without fields that may wait for one with fields to set the columns; after that, there are none. */
const PENDING_LIMIT = 1_000;

export interface RejectsCsvWriterOptions {
  /** The input's header names, in order, as the original-field columns. @default the first reject's field names */
  fieldNames?: readonly string[];
  /** CSV text held in memory before it is written out. @default 65536 */
  maxBufferedBytes?: number;
}

export class RejectsCsvWriter {
  readonly path: string;
  private readonly maxBufferedBytes: number;
  private fd: number | undefined;
  private fieldNames: readonly string[] | undefined;
  private fieldSet: ReadonlySet<string> = new Set();
  /** Rejects held only until the field columns are known (at most PENDING_LIMIT of them). */
  private pending: RejectedRow[] = [];
  /**
   * CSV lines not yet written, already encoded. Held as bytes, not strings: a cell is a slice of the parser's
   * decoded input piece, and holding it would keep the whole piece alive (measured: 60–90 MB of old-space
   * garbage on the 1M-row reference export).
   */
  private lines: Buffer[] = [];
  private bufferedChars = 0;
  private count = 0;

  /** Creates (or truncates) the file at once, so an unwritable path fails before the run starts. */
  constructor(path: string, options: RejectsCsvWriterOptions = {}) {
    const maxBufferedBytes = options.maxBufferedBytes ?? 65_536;
    if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 1) throw invalidOption('maxBufferedBytes', 'a positive integer', maxBufferedBytes);
    this.path = path;
    this.maxBufferedBytes = maxBufferedBytes;
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw unwritable(path, error);
    }
    if (options.fieldNames) this.setColumns(options.fieldNames);
  }

  /** Rejects taken so far. */
  get written(): number {
    return this.count;
  }

  write(reject: RejectedRow): void {
    if (this.fd === undefined) throw new BulkpipeError(ErrorCode.OUTPUT_UNWRITABLE, `${this.path} is already closed; a reject arrived after the run ended`);
    this.count++;
    if (this.fieldNames !== undefined) {
      this.add(reject);
    } else {
      this.pending.push(reject);
      if (reject.fields === undefined && this.pending.length < PENDING_LIMIT) return;
      this.setColumns(reject.fields ? Object.keys(reject.fields) : []);
      for (const held of this.pending) this.add(held);
      this.pending = [];
    }
    if (this.bufferedChars >= this.maxBufferedBytes) this.flush();
  }

  /** Writes what is buffered and closes the file; a file without rejects still gets its header line. */
  close(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return Promise.resolve();
    try {
      if (this.fieldNames === undefined) this.setColumns([]);
      for (const held of this.pending) this.add(held);
      this.pending = [];
      this.flush();
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
    return Promise.resolve();
  }

  private setColumns(fieldNames: readonly string[]): void {
    this.fieldNames = [...fieldNames];
    this.fieldSet = new Set(fieldNames);
    this.push([...REJECT_COLUMNS, ...this.fieldNames, OTHER_FIELDS_COLUMN]);
  }

  private add(reject: RejectedRow): void {
    const fields = reject.fields;
    const cells: string[] = [String(reject.line), reject.id ?? '', reject.code, reject.message, reject.source];
    for (const name of this.fieldNames!) cells.push(fields !== undefined && Object.hasOwn(fields, name) ? fields[name]! : '');
    let other: Record<string, string> | undefined;
    if (fields !== undefined) {
      for (const name of Object.keys(fields)) {
        if (this.fieldSet.has(name)) continue;
        other ??= {};
        other[name] = fields[name]!;
      }
    }
    cells.push(other ? JSON.stringify(other) : '');
    this.push(cells);
  }

  private push(cells: string[]): void {
    let text = '';
    for (let i = 0; i < cells.length; i++) text += (i === 0 ? '' : ',') + csvCell(neutraliseCell(cells[i]!));
    const line = Buffer.from(`${text}\n`, 'utf8');
    this.lines.push(line);
    this.bufferedChars += line.length;
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    const bytes = Buffer.concat(this.lines);
    this.lines = [];
    this.bufferedChars = 0;
    try {
      writeSync(this.fd!, bytes);
    } catch (error) {
      throw unwritable(this.path, error);
    }
  }
}

const NEEDS_QUOTES = /[",\n\r]/;

/**
 * One CSV cell as csv-stringify writes it with its defaults (the test holds them together): quoted when it holds
 * a quote, a comma, CR or LF, quotes doubled. csv-stringify's sync API normalised its options again for every
 * line: most of the writer's time on the 1M-row reference export (15k rejects).
 */
export function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function unwritable(path: string, cause: unknown): BulkpipeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BulkpipeError(ErrorCode.OUTPUT_UNWRITABLE, `Cannot write the rejects file ${path}: ${reason}`, {}, { cause });
}
