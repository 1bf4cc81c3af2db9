/**
 * The CSV scanner: decoded text in (any chunking), records out as cell arrays with the physical line each
 * record starts on. Pure: no streams, no run context. Chosen over uDSV / PapaParse / csv-parse by measurement
 * (see bench/src/parsers/) because it is as fast and gives what they don't: exact line numbers across quoted
 * newlines, lone-CR line endings, and a record-size cap that holds in bounded memory.
 *
 * Dialect (RFC 4180 plus what real CRM exports do):
 * - A field that starts with `"` is quoted: delimiters, CR and LF inside are data, `""` is one quote.
 * - A `"` anywhere else in an unquoted field is a literal character (`5" screen`), as spreadsheets write it.
 * - Text after a closing quote (`"ab"c`) is kept (`abc`) but the record is flagged `text-after-quote`.
 * - Records end at LF, CRLF or a lone CR (old Mac exports); endings may be mixed in one input.
 * - An empty line is skipped (it still counts as a line).
 *
 * Hot path: a record with no quote and no lone CR before its LF is split with `indexOf` only; the positions of
 * the next quote, CR and NUL are cached per chunk, so plain records never look at single characters.
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** What is wrong with a record that still parsed; the stage turns it into a reject. */
export interface ScanFlaw {
  readonly kind: 'text-after-quote' | 'nul';
  /** 0-based index of the cell with the problem. */
  readonly cell: number;
}

/** Receives each non-empty record: its cells, the 1-based line it starts on, and its flaw if any. */
export type RecordSink = (cells: string[], line: number, flaw: ScanFlaw | undefined) => void;

export interface CsvScannerOptions {
  /** One character (UTF-16 code unit), not `"`, CR or LF. */
  readonly delimiter: string;
  /** A record whose UTF-8 size passes this stops the scan with RECORD_TOO_LARGE. */
  readonly maxRecordBytes: number;
  /** The input's label, for error context. */
  readonly source: string;
}

// Where the boundary scan of an incomplete record stopped (it resumes there on the next chunk).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;
type ScanState = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED;

export class CsvScanner {
  private readonly delimiter: string;
  private readonly delimiterCode: number;
  private readonly maxRecordBytes: number;
  /** Records shorter than this many UTF-16 units cannot pass maxRecordBytes (a unit is at most 3 UTF-8 bytes). */
  private readonly exactSizeCheckFrom: number;
  private readonly source: string;
  private readonly sink: RecordSink;

  /** The physical line on which the next record starts. */
  private line = 1;
  /** An incomplete record carried across chunks: its pieces are joined once, when its end is found. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private state: ScanState = FIELD_START;
  /** The previous chunk ended with a CR that ended a record; an LF opening the next chunk belongs to it. */
  private skipLf = false;

  // Per-record results of parseAt (fields rather than a returned object: no allocation per record).
  private cells: string[] = [];
  private breaks = 0;
  private flaw: ScanFlaw | undefined = undefined;

  constructor(options: CsvScannerOptions, sink: RecordSink) {
    this.delimiter = options.delimiter;
    this.delimiterCode = options.delimiter.charCodeAt(0);
    this.maxRecordBytes = options.maxRecordBytes;
    this.exactSizeCheckFrom = Math.floor(options.maxRecordBytes / 3);
    this.source = options.source;
    this.sink = sink;
  }

  /** The physical line the next record starts on. */
  get nextLine(): number {
    return this.line;
  }

  /**
   * Moves on to `line` for the next record: another reader consumed the records in between (the encode
   * worker's fast lane, parallel/fast-lane.ts). Only at a record boundary.
   */
  resumeAt(line: number): void {
    if (!this.atRecordBoundary) throw new Error('bulkpipe bug: the scanner was resumed inside a record');
    this.line = line;
  }

  /** Everything pushed so far ended exactly at the end of a record's line ending: nothing is pending. */
  get atRecordBoundary(): boolean {
    return this.pending.length === 0 && !this.skipLf;
  }

  /** The physical line at the end of everything pushed so far (for errors found outside the scanner). */
  currentLine(): number {
    const pending = this.pending.join('');
    return this.line + countLineBreaks(pending, 0, pending.length);
  }

  push(text: string): void {
    const length = text.length;
    if (length === 0) return;
    let pos = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    if (this.pending.length > 0) {
      pos = this.continuePending(text, pos);
      if (pos < 0) return;
    }
    this.scan(text, pos);
  }

  /** End of input: the last record may lack its line ending; an open quote is an error. */
  end(): void {
    this.skipLf = false;
    if (this.pending.length === 0) return;
    if (this.state === QUOTED) {
      throw new BulkpipeError(
        ErrorCode.UNCLOSED_QUOTE,
        `The record starting on line ${this.line} opens a quoted field that is never closed before the end of the input. ` +
          'Check that line for an unbalanced `"` (a quote inside a field must be doubled: `""`).',
        { source: this.source, line: this.line },
      );
    }
    const record = this.takePending();
    this.parseAt(record, 0, true);
    this.emit(record, 0, record.length, true);
  }

  private scan(text: string, start: number): void {
    const length = text.length;
    const delimiter = this.delimiter;
    let pos = start;
    // Positions of the next LF / quote / CR / delimiter / NUL at or after pos; `length` means "none in this
    // chunk". Cached so that no search runs past a record more than once per chunk: without the cache a
    // chunk with no LF (lone-CR files) or no delimiter (one column) is rescanned for every record.
    let nextLf = -1;
    let nextQuote = -1;
    let nextCr = -1;
    let nextDelimiter = -1;
    // NULs are rare: most chunks have none, and then no record needs a look.
    const hasNul = text.indexOf('\0', start) !== -1;
    let nextNul = hasNul ? -1 : length;
    while (pos < length) {
      if (nextLf < pos) nextLf = indexOrEnd(text, '\n', pos);
      const lf = nextLf;
      if (nextQuote < pos) nextQuote = indexOrEnd(text, '"', pos);
      if (nextCr < pos) nextCr = indexOrEnd(text, '\r', pos);

      if (lf < length && nextQuote > lf && (nextCr > lf || nextCr === lf - 1)) {
        // Plain record: no quote, and at most the CR of a CRLF before its LF.
        const contentEnd = nextCr === lf - 1 ? lf - 1 : lf;
        if (contentEnd === pos) {
          this.line++;
          pos = lf + 1;
          continue;
        }
        if (contentEnd - pos >= this.exactSizeCheckFrom) this.checkSize(text, pos, contentEnd);
        const cells: string[] = [];
        let cellStart = pos;
        if (nextDelimiter < pos) nextDelimiter = indexOrEnd(text, delimiter, pos);
        let d = nextDelimiter;
        while (d < contentEnd) {
          cells.push(text.slice(cellStart, d));
          cellStart = d + 1;
          d = indexOrEnd(text, delimiter, cellStart);
        }
        nextDelimiter = d;
        cells.push(text.slice(cellStart, contentEnd));
        if (nextNul < pos) nextNul = indexOrEnd(text, '\0', pos);
        const flaw = nextNul < contentEnd ? nulFlaw(text, pos, nextNul, this.delimiterCode) : undefined;
        this.sink(cells, this.line, flaw);
        this.line++;
        pos = lf + 1;
        continue;
      }

      // Quotes or a lone CR: the general parser, which may find the record incomplete in this chunk.
      const end = this.parseAt(text, pos, false);
      if (end === -1) break;
      if (end - pos >= this.exactSizeCheckFrom) this.checkSize(text, pos, end);
      this.emit(text, pos, end, hasNul);
      pos = this.afterTerminator(text, end);
    }
    if (pos < length) {
      // An incomplete record: remember where the boundary scan got to, so the next chunk resumes there.
      this.state = FIELD_START;
      this.findRecordEnd(text, pos);
      this.addPending(text.slice(pos));
    }
  }

  /** Feeds the start of a chunk to the pending record; returns where scanning resumes, or -1 if still incomplete. */
  private continuePending(text: string, pos: number): number {
    const end = this.findRecordEnd(text, pos);
    if (end === -1) {
      this.addPending(text.slice(pos));
      return -1;
    }
    this.addPending(text.slice(pos, end));
    const record = this.takePending();
    this.parseAt(record, 0, true);
    this.emit(record, 0, record.length, true);
    return this.afterTerminator(text, end);
  }

  /** Emits the record parsed by parseAt (unless blank) and advances the line counter past it. */
  private emit(text: string, start: number, end: number, checkNul: boolean): void {
    const cells = this.cells;
    if (end === start) {
      this.line++; // a blank line
      return;
    }
    let flaw = this.flaw;
    if (flaw === undefined && checkNul) {
      const nul = text.indexOf('\0', start);
      if (nul !== -1 && nul < end) flaw = nulFlaw(text, start, nul, this.delimiterCode);
    }
    this.sink(cells, this.line, flaw);
    this.line += this.breaks + 1;
  }

  /** Skips the terminator at `end` (LF, CRLF or a lone CR); returns the next record's start. */
  private afterTerminator(text: string, end: number): number {
    if (text.charCodeAt(end) !== CR) return end + 1;
    if (end + 1 < text.length) return text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
    this.skipLf = true;
    return end + 1;
  }

  /**
   * Parses one record starting at `pos` into this.cells / this.breaks / this.flaw. Returns the index of its
   * terminator, `text.length` when `complete` and the text ends the record, or -1 when the record may go on
   * in the next chunk.
   */
  private parseAt(text: string, pos: number, complete: boolean): number {
    const length = text.length;
    const delimiterCode = this.delimiterCode;
    const cells: string[] = [];
    this.cells = cells;
    this.breaks = 0;
    this.flaw = undefined;
    let i = pos;
    for (;;) {
      if (i < length && text.charCodeAt(i) === QUOTE) {
        const open = i;
        let value = '';
        let from = i + 1;
        let close: number;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) return -1; // only reachable when incomplete: complete records never end inside quotes
          if (q + 1 >= length && !complete) return -1; // the next chunk could start with a second quote
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          close = q;
          break;
        }
        this.breaks += countLineBreaks(text, open + 1, close);
        i = close + 1;
        if (i >= length) {
          cells.push(value);
          return length;
        }
        const c = text.charCodeAt(i);
        if (c === delimiterCode) {
          cells.push(value);
          i++;
          continue;
        }
        if (c === LF || c === CR) {
          cells.push(value);
          return i;
        }
        // Text after the closing quote: keep it, flag the record, read on as an unquoted field.
        if (this.flaw === undefined) this.flaw = { kind: 'text-after-quote', cell: cells.length };
        const e = unquotedEnd(text, i, delimiterCode);
        cells.push(value + text.slice(i, e));
        if (e >= length) return complete ? length : -1;
        if (text.charCodeAt(e) === delimiterCode) {
          i = e + 1;
          continue;
        }
        return e;
      }
      const e = unquotedEnd(text, i, delimiterCode);
      if (e >= length) {
        if (!complete) return -1;
        cells.push(text.slice(i, e));
        return length;
      }
      cells.push(text.slice(i, e));
      if (text.charCodeAt(e) === delimiterCode) {
        i = e + 1;
        continue;
      }
      return e;
    }
  }

  /**
   * Resumable boundary scan of an incomplete record: walks `text` from `pos` in this.state and returns the
   * index of the record's terminator (resetting the state), or -1 with the state saved for the next chunk.
   * Linear in the record's size however many chunks it spans.
   */
  private findRecordEnd(text: string, pos: number): number {
    const length = text.length;
    const delimiterCode = this.delimiterCode;
    let state = this.state;
    let i = pos;
    while (i < length) {
      if (state === QUOTED) {
        const q = text.indexOf('"', i);
        if (q === -1) break; // the rest of the text is inside the quotes
        state = QUOTE_IN_QUOTED;
        i = q + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (state === QUOTE_IN_QUOTED && c === QUOTE) {
        state = QUOTED;
        i++;
        continue;
      }
      if (state === FIELD_START && c === QUOTE) {
        state = QUOTED;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        this.state = FIELD_START;
        return i;
      }
      state = c === delimiterCode ? FIELD_START : UNQUOTED;
      i++;
    }
    this.state = state;
    return -1;
  }

  private addPending(piece: string): void {
    this.pending.push(piece);
    this.pendingBytes += Buffer.byteLength(piece);
    if (this.pendingBytes > this.maxRecordBytes) this.tooLarge(this.pendingBytes);
  }

  private takePending(): string {
    const record = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    return record;
  }

  private checkSize(text: string, start: number, end: number): void {
    const bytes = Buffer.byteLength(text.slice(start, end));
    if (bytes > this.maxRecordBytes) this.tooLarge(bytes);
  }

  private tooLarge(bytes: number): never {
    const open = this.state === QUOTED || this.state === QUOTE_IN_QUOTED;
    throw new BulkpipeError(
      ErrorCode.RECORD_TOO_LARGE,
      `The record starting on line ${this.line} is larger than maxRecordBytes (${this.maxRecordBytes} bytes; read ${bytes} so far)` +
        (open
          ? '; a quoted field in it is still open, so an unbalanced `"` on that line most likely swallowed the lines after it.'
          : '. Raise maxRecordBytes if such records are expected.'),
      { source: this.source, line: this.line },
    );
  }
}

function indexOrEnd(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i === -1 ? text.length : i;
}

/** End of an unquoted field: the next delimiter, CR or LF at or after `from`, or the text's length. */
function unquotedEnd(text: string, from: number, delimiterCode: number): number {
  const length = text.length;
  let i = from;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === delimiterCode || c === LF || c === CR) return i;
    i++;
  }
  return length;
}

/** Physical line breaks in text[start, end): LF, CRLF (once) and lone CR. Looks at nothing outside the range. */
export function countLineBreaks(text: string, start: number, end: number): number {
  let breaks = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) breaks++;
    else if (c === CR && (i + 1 >= end || text.charCodeAt(i + 1) !== LF)) breaks++;
  }
  return breaks;
}

/** The cell index of the NUL at `nul` (approximate for quoted delimiters; only used for the message). */
function nulFlaw(text: string, start: number, nul: number, delimiterCode: number): ScanFlaw {
  let cell = 0;
  for (let i = start; i < nul; i++) if (text.charCodeAt(i) === delimiterCode) cell++;
  return { kind: 'nul', cell };
}
