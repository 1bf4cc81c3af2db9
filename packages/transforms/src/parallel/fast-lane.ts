/**
 * The encode worker's fast lane: plain records go from the input's bytes straight to percent-encoded row bytes,
 * in one pass per line, with no decoded text, cell strings or record objects in between. Everything else — the
 * header, values on several lines, anything a rule could reject, most it could warn about, invalid UTF-8 — goes,
 * as whole records, to the parse step and RecordEncoder, so every reject, warning and error is theirs, word for
 * word.
 *
 * A record takes the fast lane only when the answer is certain without the rules: on one line (quoted cells
 * allowed, `""` inside them), no lone CR, no NUL, no comma in a value unless the value policy replaces or drops
 * it, the id (quoted or not) 1–256 printable ASCII bytes without `+ / ,` (so no whitespace to trim, nothing to
 * reject) and not 38 digits (an ECID) — for pcId keys at most 128 bytes and in the shape of a Target visitor id
 * (pc-id-shape.ts: nothing to warn about) —, no more cells than the header. Its bytes are then exactly
 * RecordEncoder's: UTF-8 percent-encoded byte by byte. The warnings such a record can still earn — commas
 * replaced or a value dropped (policy replace or drop), a value over 256 characters — the lane raises itself with
 * the rules' own words (core's charsReplacedWarning, valueDroppedWarning, longValueWarning), where and in the
 * order RecordEncoder would.
 *
 * The lane shares the input with the parse step (parse/parse-step.ts SharedParseStep): the step reads the start
 * of the input (BOM, header, delimiter), the lane takes over at the first record boundary once RecordEncoder has
 * a plan for the header, and both keep one line count. With a mapping the lane maps as the map step would
 * (mapped-line.ts). It leaves the whole input to the step unless the delimiter is ASCII and the attributes keep
 * header order (no integer-like names, which a record's attributes object would list first).
 */
import { isUtf8 } from 'node:buffer';
import { MAX_PC_ID_LENGTH, MAX_THIRD_PARTY_ID_LENGTH } from '@bulkpipe/core';
import type { IdType, InputRecord } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { SharedParseStep } from '../parse/parse-step.js';
import { MASK_COLUMNS } from '../validate/record-encoder.js';
import type { EncodePlan, EncodeTarget, RecordEncoder } from '../validate/record-encoder.js';
import { isPcIdShape } from './pc-id-shape.js';
import { LaneCommaPolicy, LaneWarnings, utf16Units } from './lane-warnings.js';
import { MappedLine } from './mapped-line.js';
import type { MapStep } from '../map/map-step.js';
import { COMMA, CR, ECID_DIGITS, FAST_ID_BYTE, LF, MAX_FAST_VALUE_BYTES, QUOTE, isUnreserved, writeEscaped } from './lane-bytes.js';

/** Records longer than this go to the parse step (which checks them against maxRecordBytes). */
const MAX_FAST_RECORD_BYTES = 16 * 1024;

// Byte classes of a value.
const COPY = 0;
const ESCAPE = 1;
const FIELD_END = 2;
const NOT_FAST = 3;
const LINE_END = 4;
const CARRIAGE_RETURN = 5;

export interface FastLaneOptions {
  readonly step: SharedParseStep;
  readonly encoder: RecordEncoder;
  /** Where rows are written (at `rowStart`), as RecordEncoder writes them. */
  readonly target: EncodeTarget;
  /** Records the row just written at `target.rowStart` (see encode-worker.ts keepRow). */
  readonly keep: (end: number, idBytes: number, shape: number, line: number, rawId: string | undefined) => void;
  /** Receives the records the parse step emits (the slow lane). */
  readonly emit: (record: InputRecord) => void;
  readonly ctx: RunContext;
  /** The label the input's records carry (warnings the lane raises name it). */
  readonly source: string;
  readonly maxRecordBytes: number;
  /** The key RecordEncoder checks the ids against. @default 'thirdPartyId' */
  readonly idType?: IdType;
  /** The map step `emit` hands records to (before the encoder), when there is a mapping: the lane maps as it does. */
  readonly mapStep?: MapStep;
}

type Mode = 'starting' | 'fast' | 'slow';

export class FastLane {
  private mode: Mode;
  /** Bytes of an incomplete record, carried to the next chunk (fast mode only). */
  private carry: Buffer | undefined;
  /** The physical line the next record starts on (fast mode; the step's count otherwise). */
  private line = 1;
  /** Input bytes before the current chunk, and the input offset of `data[0]` in `fast` (the carry comes first). */
  private bytesBefore = 0;
  private dataOffset = 0;
  private plan: EncodePlan | undefined;
  private idColumn = 0;
  private columnCount = 0;
  /** Attribute index per column (-1 for the id column). */
  private attributeOf = new Int32Array(0);
  /** What the rules do with a comma in a value, as the lane applies it (lane-warnings.ts). */
  private commaPolicy: LaneCommaPolicy | undefined;
  /** The warnings of the row being encoded, raised once it is kept. */
  private warnings = new LaneWarnings(0);
  /** Scratch: a row's attributes past MASK_COLUMNS that have a value. */
  private wide = new Int32Array(0);
  private readonly byteClass = new Uint8Array(256);
  private delimiterByte = COMMA;
  /** Records this lane encoded itself (the rest went to the parse step). */
  fastRecords = 0;
  /** Longest record (without its line ending) the lane takes. */
  private maxFastRecordBytes = MAX_FAST_RECORD_BYTES;
  private readonly pcId: boolean;
  /** With a mapping: the line encoder that maps as it goes (instead of encodeLine's own loop). */
  private mapped: MappedLine | undefined;
  /** Longest id (bytes = characters: the lane's ids are ASCII): Target's limit for the key. */
  private readonly maxIdBytes: number;

  constructor(private readonly options: FastLaneOptions) {
    this.mode = 'starting';
    this.pcId = options.idType === 'pcId';
    this.maxIdBytes = this.pcId ? MAX_PC_ID_LENGTH : MAX_THIRD_PARTY_ID_LENGTH;
  }

  /** The next chunk of the input's bytes (the buffer may be reused by the caller once this returns). */
  push(chunk: Buffer): void {
    const before = this.bytesBefore;
    this.bytesBefore += chunk.length;
    if (this.mode === 'slow') {
      this.slow(chunk);
      return;
    }
    if (this.mode === 'starting') {
      this.start(chunk, before);
      return;
    }
    const carry = this.carry;
    if (carry !== undefined && this.finishCarry(carry, chunk, before)) return;
    this.dataOffset = before - (carry?.length ?? 0);
    this.fast(this.withCarry(chunk));
  }

  /**
   * The usual carry is the start of one plain record: it is finished with the chunk's first line, and the rest
   * of the chunk is read in place, instead of copying the whole chunk behind the carry. False (nothing done)
   * when a quote makes the record's end uncertain.
   */
  private finishCarry(carry: Buffer, chunk: Buffer, before: number): boolean {
    const lf = chunk.indexOf(LF);
    if (lf < 0 || carry.includes(QUOTE) || chunk.subarray(0, lf).includes(QUOTE)) return false;
    this.carry = undefined;
    this.dataOffset = before - carry.length;
    this.fast(Buffer.concat([carry, chunk.subarray(0, lf + 1)]));
    const rest = chunk.subarray(lf + 1);
    if (this.mode === 'slow') {
      this.slow(rest); // the record handed the input over
      return true;
    }
    this.dataOffset = before + lf + 1;
    this.fast(rest);
    return true;
  }

  /** End of input. */
  end(): void {
    const { step, emit } = this.options;
    if (this.mode === 'fast') {
      this.mode = 'slow';
      if (this.carry !== undefined) {
        this.dataOffset = this.bytesBefore - this.carry.length;
        this.handOver(this.carry, 0, this.carry.length);
      }
      this.carry = undefined;
    }
    step.flush(emit);
  }

  private slow(bytes: Uint8Array): void {
    this.options.step.push(bytes, this.options.emit);
  }

  /**
   * Before the lane can take over, the step reads: up to the last LF of each chunk, and on until it stands at a
   * record boundary with a header the lane can work with.
   */
  private start(chunk: Buffer, before: number): void {
    const data = chunk;
    const lastLf = data.lastIndexOf(LF);
    if (lastLf < 0) {
      this.slow(data);
      return;
    }
    this.slow(data.subarray(0, lastLf + 1));
    const rest = data.subarray(lastLf + 1);
    if (!this.options.step.atRecordBoundary || !this.prepare()) {
      this.slow(rest);
      return;
    }
    this.mode = 'fast';
    this.line = this.options.step.nextLine;
    this.dataOffset = before + lastLf + 1;
    this.fast(rest);
  }

  /** Compiles what the lane needs from the header; false while it cannot (yet, or at all: then it stays slow). */
  private prepare(): boolean {
    const { step, encoder, mapStep } = this.options;
    const columns = step.columns;
    const delimiter = step.delimiter;
    if (columns === undefined || delimiter === undefined) return false;
    // With a mapping the encoder sees the mapped records: their columns are the map plan's.
    const mapPlan = mapStep?.planOf(columns);
    if (mapStep !== undefined && mapPlan === undefined) return false; // no record was mapped yet
    const plan = encoder.planOf(mapPlan?.columns ?? columns);
    if (plan === undefined) return false; // no record reached the encoder yet: its header warnings come first
    const code = delimiter.charCodeAt(0);
    if (plan.keyOrder !== undefined || code >= 0x80 || code === QUOTE) {
      this.mode = 'slow';
      return false;
    }
    this.maxFastRecordBytes = Math.min(MAX_FAST_RECORD_BYTES, this.options.maxRecordBytes);
    this.plan = plan;
    this.delimiterByte = code;
    const commaPolicy = new LaneCommaPolicy(encoder.valuePolicy);
    this.commaPolicy = commaPolicy;
    this.warnings = new LaneWarnings(plan.plan.headers.length);
    if (mapPlan !== undefined) {
      // The mapped line encoder locates the input's cells itself; the plan's names are the mapped ones.
      const options = { maxIdBytes: this.maxIdBytes, pcId: this.pcId, delimiter: code, maxRecordBytes: this.maxFastRecordBytes, commaPolicy, warnings: this.warnings };
      this.mapped = MappedLine.compile(mapPlan, plan.plan, columns, options);
      if (this.mapped === undefined) this.mode = 'slow';
      return this.mapped !== undefined;
    }
    this.columnCount = columns.length;
    this.idColumn = columns.indexOf(plan.plan.idHeader);
    this.attributeOf = new Int32Array(columns.length).fill(-1);
    this.wide = new Int32Array(Math.max(0, plan.plan.headers.length - MASK_COLUMNS));
    plan.plan.headers.forEach((header, i) => (this.attributeOf[columns.indexOf(header)] = i));
    for (let b = 0; b < 256; b++) this.byteClass[b] = isUnreserved(b) ? COPY : ESCAPE;
    for (const b of [COMMA, 0]) this.byteClass[b] = NOT_FAST;
    this.byteClass[LF] = LINE_END;
    this.byteClass[CR] = CARRIAGE_RETURN;
    this.byteClass[code] = FIELD_END;
    return true;
  }

  private withCarry(chunk: Buffer): Buffer {
    const carry = this.carry;
    this.carry = undefined;
    return carry === undefined ? chunk : Buffer.concat([carry, chunk]);
  }

  /**
   * Reads the records of `data` up to its last complete line; what follows is carried. A record the lane does
   * not take goes whole to the step; anything that makes record boundaries uncertain hands the rest of the
   * input to the step for good.
   */
  private fast(data: Buffer): void {
    const end = data.lastIndexOf(LF) + 1;
    if (end === 0) {
      this.keepCarry(data, 0);
      return;
    }
    // Valid UTF-8 up to a line end is valid record by record; an invalid byte is the step's to report.
    if (!isUtf8(data.subarray(0, end))) {
      this.handOver(data, 0, data.length);
      return;
    }
    let pos = 0;
    while (pos < end) {
      // Most lines: one pass over the bytes finds the cells, encodes them and finds the line's end.
      const next = this.encodeLine(data, pos, end);
      if (next >= 0) {
        pos = next;
        continue;
      }
      const lf = data.indexOf(LF, pos);
      if (indexOrEnd(data, QUOTE, pos, lf) < lf) {
        // A quote: the record may span lines; find its end as the scanner would.
        const terminator = recordEnd(data, pos, this.delimiterByte);
        if (terminator < 0) break; // not complete in this chunk
        if (data[terminator] === CR && terminator + 1 >= data.length) break; // a CRLF may be split
        if (data[terminator] === CR && data[terminator + 1] !== LF) {
          this.handOver(data, pos, data.length); // a lone CR ends records too: leave such files to the step
          return;
        }
        const after = data[terminator] === CR ? terminator + 2 : terminator + 1;
        this.toStep(data, pos, after);
        pos = after;
        continue;
      }
      // No quote before the LF: the line (or, with a lone CR, the lines) to the step.
      this.toStep(data, pos, lf + 1);
      pos = lf + 1;
    }
    this.keepCarry(data, pos);
  }

  private keepCarry(data: Buffer, from: number): void {
    if (from >= data.length) return;
    // A copy: the caller's buffer is reused. Past maxRecordBytes the step reports the oversize record.
    if (data.length - from > this.options.maxRecordBytes) {
      this.handOver(data, from, data.length);
      return;
    }
    this.carry = Buffer.from(data.subarray(from));
  }

  /** Whole records `data[from, to)` to the step, starting on the lane's line; the lane goes on after them. */
  private toStep(data: Buffer, from: number, to: number): void {
    const step = this.options.step;
    step.resumeAt(this.line, this.dataOffset + from);
    this.slow(data.subarray(from, to));
    this.line = step.nextLine;
  }

  /** The rest of the input is the step's. */
  private handOver(data: Buffer, from: number, to: number): void {
    this.options.step.resumeAt(this.line, this.dataOffset + from);
    this.mode = 'slow';
    this.carry = undefined;
    if (to > from) this.slow(data.subarray(from, to));
  }

  /**
   * Takes the line starting at `start` (a record start; an LF comes before `limit`) through the lane: a blank
   * line is counted, a record encoded at `target.rowStart` and kept. Returns where the next line starts, or -1
   * (nothing kept, nothing counted) when the record is not certain to pass the rules unchanged or does not end
   * on this line — the caller then hands it to the step.
   */
  private encodeLine(data: Buffer, start: number, limit: number): number {
    const delimiter = this.delimiterByte;
    const stop = Math.min(limit, start + this.maxFastRecordBytes + 2); // the content, then at most CR LF
    // A blank line.
    if (data[start] === LF || (data[start] === CR && data[start + 1] === LF)) {
      this.line++;
      return data[start] === LF ? start + 1 : start + 2;
    }
    if (this.mapped !== undefined) return this.encodeMappedLine(this.mapped, data, start, limit);
    // The id's cell: plain, or quoted on one line without a `""` in it (exports that quote every cell).
    let p = start;
    for (let column = 0; column < this.idColumn; column++) {
      if (data[p] === QUOTE) p = quotedEnd(data, p, stop);
      for (;;) {
        if (p >= stop) return -1;
        const b = data[p]!;
        if (b === delimiter) break;
        if (b === LF || b === CR) return -1; // the row ends before the id column
        p++;
      }
      p++;
    }
    const quotedId = data[p] === QUOTE;
    if (quotedId) p++;
    const idStart = p;
    let digits = 0;
    for (;;) {
      if (p >= stop) return -1;
      const b = data[p]!;
      if (quotedId ? b === QUOTE : b === delimiter || b === LF) break;
      if (b === CR && !quotedId) {
        if (data[p + 1] !== LF) return -1; // a lone CR: the step's to split
        break;
      }
      if (FAST_ID_BYTE[b] === 0 || b === QUOTE) return -1;
      if (b >= 0x30 && b <= 0x39) digits++;
      p++;
    }
    const idEnd = p;
    // Where the id's cell ends: its closing quote must be followed by the delimiter or the line's end (a `""`, or
    // text after the quote, is the step's to parse).
    const idCellEnd = quotedId ? p + 1 : p;
    if (quotedId) {
      const after = data[idCellEnd];
      if (idCellEnd >= stop || (after !== delimiter && after !== LF && !(after === CR && data[idCellEnd + 1] === LF))) return -1;
    }
    const idLength = idEnd - idStart;
    if (idLength === 0 || idLength > this.maxIdBytes || (idLength === ECID_DIGITS && digits === ECID_DIGITS)) return -1;
    if (this.pcId && !isPcIdShape(data, idStart, idEnd)) return -1; // the step warns about its shape

    const target = this.options.target;
    let w = target.ensure(target.rowStart, this.commaPolicy!.expansion * (stop - start) + 2);
    const out = target.buf;
    const rowStart = w;
    for (let i = idStart; i < idEnd; i++) {
      const b = data[i]!;
      if (isUnreserved(b)) out[w++] = b;
      else w = writeEscaped(out, w, b);
    }
    const idBytes = w - rowStart;

    const byteClass = this.byteClass;
    const attributeOf = this.attributeOf;
    const columns = this.columnCount;
    let mask = 0;
    // Attributes past MASK_COLUMNS with a value, ascending (the shape key's tail, as RecordEncoder makes it).
    const wide = this.wide;
    let wideCount = 0;
    const commaPolicy = this.commaPolicy!;
    const warnings = this.warnings;
    warnings.count = 0;
    let contentEnd: number; // where the line's content ends: at its LF, or the CR of its CRLF
    p = start;
    for (let column = 0; ; ) {
      // Each cell leaves p at its delimiter or at the end of the line's content.
      if (column === this.idColumn) {
        p = idCellEnd;
      } else {
        let o = w + 1;
        let length = 0;
        const cellFrom = p;
        let escapedQuotes = 0;
        let commas = 0; // commas in the value, under policy replace or drop
        if (data[p] === QUOTE) {
          // A quoted cell on one line: `""` is a quote; after the closing quote only the delimiter or the end.
          p++;
          for (;;) {
            if (p >= stop) return -1;
            const b = data[p]!;
            if (b === QUOTE) {
              if (data[p + 1] === QUOTE) {
                o = writeEscaped(out, o, QUOTE);
                length++;
                escapedQuotes++;
                p += 2;
                continue;
              }
              p++;
              break;
            }
            const kind = byteClass[b];
            if (kind === COPY) {
              out[o++] = b;
            } else if (kind === ESCAPE || (kind === FIELD_END && b !== COMMA)) {
              o = writeEscaped(out, o, b); // another delimiter is data inside quotes
            } else if (b === COMMA && commaPolicy.action !== 'reject') {
              o = commaPolicy.write(out, o);
              commas++;
              length += commaPolicy.bytes - 1;
            } else {
              return -1; // a comma (policy reject), NUL, CR or LF (a value on several lines): the rules' to judge
            }
            length++;
            p++;
          }
          if (p >= stop) return -1;
          const after = data[p]!;
          if (after !== delimiter && after !== LF && !(after === CR && data[p + 1] === LF)) return -1; // text after the closing quote
        } else {
          const cellStart = p;
          for (;;) {
            if (p >= stop) return -1;
            const b = data[p]!;
            const kind = byteClass[b];
            if (kind === COPY) {
              out[o++] = b;
            } else if (kind === ESCAPE) {
              o = writeEscaped(out, o, b);
            } else if (kind === FIELD_END || kind === LINE_END) {
              break;
            } else if (kind === CARRIAGE_RETURN) {
              if (data[p + 1] !== LF) return -1; // a lone CR: the step's to split
              break;
            } else if (b === COMMA && commaPolicy.action !== 'reject') {
              o = commaPolicy.write(out, o);
              commas++;
            } else {
              return -1; // a comma (policy reject) or NUL: the rules' to apply
            }
            p++;
          }
          length = p - cellStart + commas * (commaPolicy.bytes - 1);
        }
        const attribute = attributeOf[column]!;
        if (commas > 0) {
          // Policy replace: the commas were written as the replacement; drop: the value is not sent.
          warnings.commas(attribute, commas, commaPolicy.action);
          if (commaPolicy.action === 'drop') {
            o = w + 1;
            length = 0;
          }
        }
        if (length > MAX_FAST_VALUE_BYTES) {
          // More than 256 bytes: the rules warn when that is more than 256 characters (UTF-16 code units, as a
          // string counts them), counted here on the bytes; the warning goes out if the row is kept.
          const quoted = data[cellFrom] === QUOTE ? 1 : 0;
          warnings.length(attribute, utf16Units(data, cellFrom + quoted, p - quoted) - escapedQuotes + commas * (commaPolicy.units - 1));
        }
        if (length > 0) {
          out[w] = COMMA;
          w = o;
          if (attribute < MASK_COLUMNS) mask |= 1 << attribute;
          else wide[wideCount++] = attribute;
        }
      }
      column++;
      if (data[p] !== delimiter) {
        contentEnd = p;
        break;
      }
      p++; // the delimiter
      if (column >= columns) return -1; // more cells than the header: a malformed row
    }
    if (contentEnd - start > this.maxFastRecordBytes) return -1;
    const rawId = idBytes === idLength ? undefined : data.toString('latin1', idStart, idEnd);
    const shape = this.options.encoder.shapeOfMask(this.plan!, mask, wide, wideCount);
    this.options.ctx.counters.read++; // as the parse step counts a record before the rules see it
    if (warnings.count > 0) this.raiseWarnings(rawId ?? data.toString('latin1', idStart, idEnd));
    this.options.keep(w, idBytes, shape.id, this.line, rawId);
    this.fastRecords++;
    this.line++;
    return data[contentEnd] === CR ? contentEnd + 2 : contentEnd + 1;
  }

  /** The warnings of the row just encoded, before it is kept: where RecordEncoder raises them. */
  private raiseWarnings(id: string): void {
    this.warnings.raise(this.options.ctx, this.options.source, this.line, id, this.plan!.plan.headers, this.commaPolicy!.replacement);
  }

  /** encodeLine with a mapping: the record as the map step would make it (mapped-line.ts). */
  private encodeMappedLine(mapped: MappedLine, data: Buffer, start: number, limit: number): number {
    const target = this.options.target;
    const at = target.ensure(target.rowStart, mapped.maxRowBytes);
    const next = mapped.encode(data, start, limit, target.buf, at);
    if (next < 0) return -1;
    const { end, idBytes, mask, wide, wideCount, rawId } = mapped.row;
    const shape = this.options.encoder.shapeOfMask(this.plan!, mask, wide, wideCount);
    this.options.ctx.counters.read++; // as the parse step counts a record before the rules see it
    if (this.warnings.count > 0) this.raiseWarnings(rawId ?? target.buf.toString('latin1', at, at + idBytes));
    this.options.keep(end, idBytes, shape.id, this.line, rawId);
    this.fastRecords++;
    this.line++;
    return next;
  }
}

/** Just past the closing quote of the quoted cell opening at `p`, or `end` when it does not close before. */
function quotedEnd(data: Buffer, p: number, end: number): number {
  let q = p + 1;
  while (q < end) {
    if (data[q] !== QUOTE) {
      q++;
      continue;
    }
    if (q + 1 < end && data[q + 1] === QUOTE) {
      q += 2;
      continue;
    }
    return q + 1;
  }
  return end;
}

function indexOrEnd(data: Buffer, byte: number, from: number, end: number): number {
  const i = data.indexOf(byte, from);
  return i === -1 || i > end ? end : i;
}

/**
 * The terminator (CR or LF outside quotes) of the record starting at `pos`, or -1 when the data ends first.
 * The scanner's rules (csv-scanner.ts findRecordEnd): a quote opens a quoted field only at a field's start;
 * `""` inside is a quote; text after the closing quote runs on as an unquoted field.
 */
function recordEnd(data: Buffer, pos: number, delimiter: number): number {
  const length = data.length;
  let fieldStart = true;
  let i = pos;
  while (i < length) {
    const c = data[i]!;
    if (fieldStart && c === QUOTE) {
      // Inside quotes until a quote not followed by another one.
      let q = i + 1;
      for (;;) {
        q = data.indexOf(QUOTE, q);
        if (q === -1 || q + 1 >= length) return -1; // open, or the next byte (a second quote?) is not here yet
        if (data[q + 1] === QUOTE) {
          q += 2;
          continue;
        }
        break;
      }
      i = q + 1;
      fieldStart = false;
      continue;
    }
    if (c === LF || c === CR) return i;
    fieldStart = c === delimiter;
    i++;
  }
  return -1;
}
