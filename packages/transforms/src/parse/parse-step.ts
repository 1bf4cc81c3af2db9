/**
 * The parse stage's logic as a step: UTF-8 byte chunks (or already decoded strings) in, InputRecords out.
 * Decoding, the header, delimiter sniffing, record building and row-level rejects live here; opening files,
 * gunzipping and the stream plumbing live in `parse-input.ts`.
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { InputRecord } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Emit, Step } from '../step.js';
import { CsvScanner } from './csv-scanner.js';
import type { ScanFlaw } from './csv-scanner.js';
import { buildFields, fieldsBuilder } from './fields-builder.js';
import type { FieldsBuilder } from './fields-builder.js';
import { checkHeader, describeDelimiter } from './header.js';
import { resolveParseOptions } from './parse-options.js';
import type { ParseOptions, ResolvedParseOptions } from './parse-options.js';
import { firstLine, sniffDelimiter } from './sniff-delimiter.js';
import { Utf8Decoder } from './utf8-decoder.js';
import type { InvalidUtf8 } from './utf8-decoder.js';

export interface ParseStepOptions extends ParseOptions {
  /**
   * Add the size of each byte chunk to `ctx.counters.bytesRead`. parseInput() turns this off and counts the
   * raw (compressed) bytes itself. @default true
   */
  countBytes?: boolean;
}

/**
 * A step from byte (or string) chunks of one CSV input to its records. Every record carries its source, the
 * line it starts on, its fields keyed by header name, and the input's shared frozen `columns` array.
 */
export function createParseStep(options: ParseStepOptions, ctx: RunContext): Step<Uint8Array | string, InputRecord> {
  return new ParseStep(resolveParseOptions(options), options.countBytes ?? true, ctx);
}

/**
 * The parse step, for a reader that takes over plain records itself and hands the step only the records it
 * does not handle, always whole (the encode worker's fast lane, parallel/fast-lane.ts): it needs the header and
 * delimiter the step found, and to keep the step's line count in step with the lines it consumed.
 */
export interface SharedParseStep extends Step<Uint8Array | string, InputRecord> {
  /** The header, once read. */
  readonly columns: readonly string[] | undefined;
  /** The delimiter, once given or sniffed. */
  readonly delimiter: string | undefined;
  /** True when everything pushed so far ended exactly after a record's LF: no partial record, byte or header. */
  readonly atRecordBoundary: boolean;
  /** The physical line the next record starts on. */
  readonly nextLine: number;
  /**
   * Continues at `line`, input byte `byteOffset` (another reader consumed what lies in between); only at a record
   * boundary. Lines and offsets in errors count from the input's start.
   */
  resumeAt(line: number, byteOffset: number): void;
}

/** createParseStep for a reader that shares the input with the step (see SharedParseStep). */
export function createSharedParseStep(options: ParseStepOptions, ctx: RunContext): SharedParseStep {
  return new ParseStep(resolveParseOptions(options), options.countBytes ?? true, ctx);
}

/** Decoded text per piece: at most 64 KB as a two-byte string, below V8's large-object threshold. */
const DECODE_PIECE_BYTES = 32 * 1024;

/** Bytes needed to recognise a UTF-16 byte order mark or gzip magic before decoding starts. */
const HEAD_BYTES = 2;

class ParseStep implements SharedParseStep {
  private readonly source: string;
  private emitTo: Emit<InputRecord> = () => {};
  private readonly decoder = new Utf8Decoder();
  /** The first bytes, held until HEAD_BYTES arrived. */
  private head: Uint8Array | undefined = new Uint8Array(0);
  private textStarted = false;
  /** Text held back until the header line is complete and the delimiter can be sniffed. */
  private sniffParts: string[] = [];
  private sniffChars = 0;
  private scanner: CsvScanner | undefined;
  private scannerDelimiter = ',';
  private headerColumns: readonly string[] | undefined;
  private buildFields: FieldsBuilder = () => ({});

  constructor(
    private readonly options: ResolvedParseOptions,
    private readonly countBytes: boolean,
    private readonly ctx: RunContext,
  ) {
    this.source = options.sourceLabel ?? 'stream';
    if (options.delimiter !== undefined) this.startScanner(options.delimiter);
  }

  get columns(): readonly string[] | undefined {
    return this.headerColumns;
  }

  get delimiter(): string | undefined {
    return this.scanner !== undefined ? this.scannerDelimiter : undefined;
  }

  get atRecordBoundary(): boolean {
    return this.head === undefined && this.scanner !== undefined && this.scanner.atRecordBoundary && this.decoder.atCharBoundary;
  }

  get nextLine(): number {
    return this.scanner?.nextLine ?? 1;
  }

  resumeAt(line: number, byteOffset: number): void {
    if (!this.atRecordBoundary) throw new Error('bulkpipe bug: the parse step was resumed inside a record');
    this.scanner!.resumeAt(line);
    this.decoder.resumeAt(byteOffset);
  }

  push(chunk: Uint8Array | string, emit: Emit<InputRecord>): void {
    this.emitTo = emit;
    if (typeof chunk === 'string') {
      if (this.countBytes) this.ctx.counters.bytesRead += Buffer.byteLength(chunk);
      this.text(chunk);
      return;
    }
    if (this.countBytes) this.ctx.counters.bytesRead += chunk.length;
    if (this.head !== undefined) {
      const head = concat(this.head, chunk);
      if (head.length < HEAD_BYTES) {
        this.head = head === chunk ? new Uint8Array(chunk) : head; // a copy: the caller may reuse its buffer
        return;
      }
      this.head = undefined;
      this.checkHead(head);
      chunk = head;
    }
    // Decode in pieces: a string over ~128 KB is born in V8's large-object space (old generation), so a
    // 256 KiB chunk decoded at once, and every cell sliced from it, lived until the next full GC (measured:
    // ~150 MB of dead chunk text held at a time on the 1M-row export). Pieces stay young and die cheaply.
    for (let at = 0; at < chunk.length; at += DECODE_PIECE_BYTES) {
      this.decoded(this.decoder.decode(chunk.length <= DECODE_PIECE_BYTES ? chunk : chunk.subarray(at, at + DECODE_PIECE_BYTES)));
    }
  }

  flush(emit: Emit<InputRecord>): void {
    this.emitTo = emit;
    if (this.head !== undefined && this.head.length > 0) this.decoded(this.decoder.decode(this.head));
    this.head = undefined;
    this.decoded(this.decoder.end());
    const scanner = this.scanner ?? this.startScanner(undefined);
    scanner.end();
    if (this.headerColumns === undefined) {
      throw new BulkpipeError(ErrorCode.EMPTY_INPUT, 'The input is empty: it has no header row (and no records).', { source: this.source });
    }
  }

  private checkHead(head: Uint8Array): void {
    const [a, b] = head;
    const utf16 = a === 0xff && b === 0xfe ? 'UTF-16 LE' : a === 0xfe && b === 0xff ? 'UTF-16 BE' : undefined;
    if (utf16 !== undefined) {
      throw new BulkpipeError(
        ErrorCode.INVALID_UTF8,
        `The input starts with a ${utf16} byte order mark: it is not UTF-8, the only encoding bulkpipe reads. ` +
          'Convert it first, e.g. `iconv -f UTF-16 -t UTF-8 input.csv > input-utf8.csv`.',
        { source: this.source, line: 1 },
      );
    }
    if (a === 0x1f && b === 0x8b) {
      throw new BulkpipeError(
        ErrorCode.INVALID_UTF8,
        'The input is gzip-compressed; parseInput() gunzips such inputs, the parse step alone expects decompressed bytes.',
        { source: this.source, line: 1 },
      );
    }
  }

  private decoded(result: string | InvalidUtf8): void {
    if (typeof result === 'string') {
      this.text(result);
      return;
    }
    // Feed the valid text first, so the scanner knows which line the bad byte is on.
    this.text(result.validText);
    const scanner = this.scanner ?? this.startScanner(undefined);
    const line = scanner.currentLine();
    throw new BulkpipeError(
      ErrorCode.INVALID_UTF8,
      `Invalid UTF-8 on line ${line} (byte offset ${result.byteOffset}). bulkpipe reads UTF-8 only and never replaces characters silently. ` +
        'If the file comes from Excel or an older system it is probably Windows-1252/Latin-1: convert it, e.g. ' +
        '`iconv -f WINDOWS-1252 -t UTF-8 input.csv > input-utf8.csv`.',
      { source: this.source, line },
    );
  }

  private text(text: string): void {
    if (text.length === 0) return;
    if (!this.textStarted) {
      this.textStarted = true;
      // Strings don't pass through the decoder, which strips the BOM from bytes; a doubled BOM goes too.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.scanner !== undefined) {
      this.scanner.push(text);
      return;
    }
    this.sniffParts.push(text);
    this.sniffChars += text.length;
    // Sniff once the header line is complete; past maxRecordBytes the scanner reports the oversize header.
    if (!/[\r\n]/.test(text) && this.sniffChars <= this.options.maxRecordBytes) return;
    const buffered = this.sniffParts.join('');
    const line = firstLine(buffered);
    if (line === undefined && this.sniffChars <= this.options.maxRecordBytes) {
      this.sniffParts = [buffered];
      return;
    }
    this.startScanner(undefined);
  }

  /** Creates the scanner (sniffing the delimiter from the buffered text when none was given) and feeds it. */
  private startScanner(delimiter: string | undefined): CsvScanner {
    const buffered = this.sniffParts.join('');
    this.sniffParts = [];
    if (delimiter === undefined) {
      const line = firstLine(buffered);
      const trimmed = buffered.replace(/^[\r\n]+/, '');
      delimiter = sniffDelimiter(line ? buffered.slice(line.start, line.end) : trimmed.slice(0, 64 * 1024));
    }
    const scanner = new CsvScanner({ delimiter, maxRecordBytes: this.options.maxRecordBytes, source: this.source }, this.onRecord);
    this.scanner = scanner;
    this.scannerDelimiter = delimiter;
    if (buffered.length > 0) scanner.push(buffered);
    return scanner;
  }

  private readonly onRecord = (cells: string[], line: number, flaw: ScanFlaw | undefined): void => {
    const columns = this.headerColumns;
    if (columns === undefined) {
      if (flaw?.kind === 'text-after-quote') {
        throw new BulkpipeError(
          ErrorCode.BAD_HEADER,
          /^\s*[[{]/.test(cells[0] ?? '')
            ? 'Bad header: this looks like JSON, not CSV (the first line starts with [ or {). Export the data as CSV with a header row.'
            : `Bad header: text after the closing quote in column ${flaw.cell + 1}; a quote inside a quoted name must be doubled ("").`,
          { source: this.source, line },
        );
      }
      this.headerColumns = checkHeader(cells, this.source, line, this.scannerDelimiter);
      this.buildFields = fieldsBuilder(this.headerColumns);
      this.options.onHeader?.(this.headerColumns, this.source);
      return;
    }
    this.ctx.counters.read++;
    if (flaw !== undefined || cells.length > columns.length) {
      this.reject(cells, line, flaw, columns);
      return;
    }
    this.emitTo({ source: this.source, line, fields: this.buildFields(cells), columns });
  };

  private reject(cells: readonly string[], line: number, flaw: ScanFlaw | undefined, columns: readonly string[]): void {
    const names = cells.map((_cell, index) => (index < columns.length ? (columns[index] as string) : extraCellName(index, columns)));
    const fields = buildFields(names, cells);
    const columnName = (cell: number): string =>
      cell < columns.length ? `column ${JSON.stringify(columns[cell])}` : `extra cell ${cell + 1}`;
    let code: string;
    let message: string;
    if (flaw?.kind === 'nul') {
      code = ErrorCode.ROW_NUL_BYTE;
      message = `NUL character in ${columnName(flaw.cell)}: binary data, or a file in another encoding (UTF-16?).`;
    } else if (flaw?.kind === 'text-after-quote') {
      code = ErrorCode.ROW_MALFORMED;
      message = `Text after the closing quote in ${columnName(flaw.cell)}: a quote inside a quoted field must be doubled ("").`;
    } else {
      code = ErrorCode.ROW_MALFORMED;
      const extraEmpty = cells.slice(columns.length).every((cell) => cell === '');
      message =
        `The row has ${cells.length} cells but the header has ${columns.length} columns` +
        (extraEmpty ? ` (the extra cells are empty: a trailing ${describeDelimiter(this.scannerDelimiter)}?)` : ` (an unquoted ${describeDelimiter(this.scannerDelimiter)} in a value?)`) +
        '.';
    }
    this.ctx.reject({ source: this.source, line, code, message, fields });
  }
}

/** Rejected rows keep cells beyond the header under `#<position>` (1-based), never clashing with a header name. */
function extraCellName(index: number, columns: readonly string[]): string {
  let name = `#${index + 1}`;
  while (columns.includes(name)) name = `#${name}`;
  return name;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
