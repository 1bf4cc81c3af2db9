/**
 * The fast lane with a mapping: one record from the input's bytes to the row bytes RecordEncoder writes for the
 * record the map step makes of it. The line's cells are located first; then the mapped id and each attribute,
 * in the encoder's order, are read from their cell (or are a constant), transformed on bytes
 * (byte-transforms.ts) and percent-encoded. As in the lane without a mapping, a record whose outcome is not
 * certain without the rules — a transform that declines, a value with CR, LF or NUL or with a comma the policy
 * rejects, an id the rules could reject or warn about, a malformed line — is left to the parse step, the map step
 * and RecordEncoder (encode returns -1). Commas replaced or dropped and values over 256 characters are applied
 * here, their warnings left in `options.warnings` for the caller to raise (lane-warnings.ts).
 */
import type { MapPlan } from '../map/map-plan.js';
import type { ValueTransform } from '../map/value-transforms.js';
import type { HeaderPlan } from '../validate/header-plan.js';
import { ByteValue } from './byte-transforms.js';
import { COMMA, CR, ECID_DIGITS, FAST_ID_BYTE, LF, MAX_FAST_VALUE_BYTES, QUOTE, isUnreserved, writeEscaped } from './lane-bytes.js';
import { isPcIdShape } from './pc-id-shape.js';
import { MASK_COLUMNS } from '../validate/record-encoder.js';
import { utf16Units } from './lane-warnings.js';
import type { LaneCommaPolicy, LaneWarnings } from './lane-warnings.js';


/** Where an output value comes from: an input cell through transforms, or a constant (encoded; empty: none). */
type Source = { readonly column: number; readonly transforms: readonly ValueTransform[] } | { readonly constant: Buffer };

// Classes of a byte in a value to send, and in a cell being scanned.
const COPY = 0;
const ESCAPE = 1;
const NOT_FAST = 2;
const VALUE_CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) VALUE_CLASS[b] = isUnreserved(b) ? COPY : b === COMMA || b === LF || b === CR || b === 0 ? NOT_FAST : ESCAPE;

export interface MappedLineOptions {
  readonly maxIdBytes: number;
  readonly pcId: boolean;
  readonly delimiter: number;
  readonly maxRecordBytes: number;
  /** What the rules do with a comma in a value, as the lane applies it. */
  readonly commaPolicy: LaneCommaPolicy;
  /** Where the warnings of the row being encoded go (the caller raises them once the row is kept). */
  readonly warnings: LaneWarnings;
}

/** What a mapped record became: the row is `out[rowStart, end)`, its encoded id `idBytes` long. */
export interface MappedRow {
  end: number;
  idBytes: number;
  /** Bit i: attribute i (below MASK_COLUMNS) has a value… */
  mask: number;
  /** …as do the attributes `wide[0, wideCount)`, ascending. */
  wide: Int32Array;
  wideCount: number;
  /** The id, when its encoding differs from it. */
  rawId: string | undefined;
}

export class MappedLine {
  private readonly cellStart: Int32Array;
  private readonly cellEnd: Int32Array;
  /** The cell was quoted and holds `""` pairs. */
  private readonly cellEscaped: Uint8Array;
  /** Bytes that end or spoil an unquoted cell: the delimiter, LF, CR, NUL. */
  private readonly cellStop = new Uint8Array(256);
  /** Per attribute: its input column, or -1 for a constant… */
  private readonly attributeColumn: Int32Array;
  /** …its transforms… */
  private readonly attributeTransforms: (readonly ValueTransform[])[];
  /** …and a constant's encoded bytes. */
  private readonly attributeConstant: (Buffer | undefined)[];
  private readonly value = new ByteValue();
  /** The data of the line being encoded (its cells are offsets into it). */
  private data: Buffer = Buffer.alloc(0);
  /** Room a row may need: an id and every attribute at their longest, each byte escaped. */
  readonly maxRowBytes: number;
  readonly row: MappedRow;

  private constructor(
    private readonly id: { readonly column: number; readonly transforms: readonly ValueTransform[] },
    attributes: readonly Source[],
    private readonly columns: number,
    private readonly options: MappedLineOptions,
  ) {
    this.cellStart = new Int32Array(columns);
    this.cellEnd = new Int32Array(columns);
    this.cellEscaped = new Uint8Array(columns);
    for (const b of [options.delimiter, LF, CR, 0]) this.cellStop[b] = 1;
    this.attributeColumn = Int32Array.from(attributes, (source) => ('column' in source ? source.column : -1));
    this.attributeTransforms = attributes.map((source) => ('column' in source ? source.transforms : []));
    this.attributeConstant = attributes.map((source) => ('column' in source ? undefined : source.constant));
    this.maxRowBytes = 3 * options.maxIdBytes + attributes.length * (1 + 3 * MAX_FAST_VALUE_BYTES);
    this.row = { end: 0, idBytes: 0, mask: 0, wide: new Int32Array(Math.max(0, attributes.length - MASK_COLUMNS)), wideCount: 0, rawId: undefined };
  }

  /**
   * The lane's plan for input records with header `inputColumns`, mapped by `mapPlan` and encoded by `header`
   * (the encoder's plan for the mapped columns); undefined when the lane cannot follow it: the id is a constant,
   * or a constant is a value the rules would have to judge.
   */
  static compile(mapPlan: MapPlan, header: HeaderPlan, inputColumns: readonly string[], options: MappedLineOptions): MappedLine | undefined {
    const sourceOf = (name: string): Source | undefined => {
      const output = mapPlan.to.indexOf(name);
      if (output >= 0) return { column: inputColumns.indexOf(mapPlan.from[output]!), transforms: mapPlan.transformNames[output]! };
      const constant = mapPlan.constantNames.indexOf(name);
      if (constant < 0) return undefined;
      const text = mapPlan.constantValues[constant]!;
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.toString('utf8') !== text) return undefined; // a lone surrogate: VALUE_UNENCODABLE
      const encoded = Buffer.alloc(3 * bytes.length);
      let o = 0;
      for (const byte of bytes) {
        if (byte === COMMA || byte === CR || byte === LF || byte === 0) return undefined;
        if (isUnreserved(byte)) encoded[o++] = byte;
        else o = writeEscaped(encoded, o, byte);
      }
      return bytes.length > MAX_FAST_VALUE_BYTES ? undefined : { constant: encoded.subarray(0, o) };
    };
    const id = sourceOf(header.idHeader);
    if (id === undefined || !('column' in id)) return undefined;
    const attributes: Source[] = [];
    for (const name of header.headers) {
      const source = sourceOf(name);
      if (source === undefined) return undefined;
      attributes.push(source);
    }
    return new MappedLine(id, attributes, inputColumns.length, options);
  }

  /**
   * Maps and encodes the record on the line starting at `start` (not blank; an LF comes before `limit`) into
   * `out` from `at` (room for maxRowBytes); the row is then `this.row`. Returns where the next line starts, or -1.
   */
  encode(data: Buffer, start: number, limit: number, out: Buffer, at: number): number {
    const { delimiter, maxRecordBytes, commaPolicy, warnings } = this.options;
    const stop = Math.min(limit, start + maxRecordBytes + 2); // the content, then at most CR LF
    warnings.count = 0;
    const cellStart = this.cellStart;
    const cellEnd = this.cellEnd;
    const cellEscaped = this.cellEscaped;
    this.data = data;
    let cells = 0;
    let p = start;
    let contentEnd: number;
    for (;;) {
      // Each cell leaves p at its delimiter or at the end of the line's content.
      if (data[p] === QUOTE) {
        // A quoted cell on one line: `""` is a quote; after the closing quote only the delimiter or the end.
        const from = ++p;
        let escaped = 0;
        for (;;) {
          if (p >= stop) return -1;
          const b = data[p]!;
          if (b === QUOTE) {
            if (data[p + 1] !== QUOTE) break;
            escaped = 1;
            p += 2;
            continue;
          }
          if (b === LF || b === CR || b === 0) return -1; // a value on several lines, or a NUL: the rules' to judge
          p++;
        }
        cellStart[cells] = from;
        cellEnd[cells] = p;
        cellEscaped[cells] = escaped;
        p++;
        if (p >= stop) return -1;
        const after = data[p]!;
        if (after !== delimiter && after !== LF && !(after === CR && data[p + 1] === LF)) return -1; // text after the closing quote
      } else {
        const from = p;
        const cellStop = this.cellStop;
        for (;;) {
          if (p >= stop) return -1;
          const b = data[p]!;
          if (cellStop[b] === 0) {
            p++;
            continue;
          }
          if (b === delimiter || b === LF) break;
          if (b === CR && data[p + 1] === LF) break;
          return -1; // a lone CR (the step's to split), a NUL
        }
        cellStart[cells] = from;
        cellEnd[cells] = p;
        cellEscaped[cells] = 0;
      }
      cells++;
      if (data[p] !== delimiter) {
        contentEnd = p;
        break;
      }
      p++; // the delimiter
      if (cells >= this.columns) return -1; // more cells than the header: a malformed row
    }
    if (contentEnd - start > maxRecordBytes) return -1;

    // The id: 1–maxIdBytes printable ASCII without `+ / , "`, not an ECID (and for pcId, in shape).
    const value = this.value;
    if (!this.read(this.id.column, this.id.transforms, cells)) return -1;
    const idLength = value.end - value.start;
    if (idLength === 0 || idLength > this.options.maxIdBytes) return -1;
    let w = at;
    let digits = 0;
    const idBuf = value.buf;
    for (let i = value.start, end = value.end; i < end; i++) {
      const b = idBuf[i]!;
      if (FAST_ID_BYTE[b] === 0 || b === QUOTE) return -1;
      if (b >= 0x30 && b <= 0x39) digits++;
      if (isUnreserved(b)) out[w++] = b;
      else w = writeEscaped(out, w, b);
    }
    if (idLength === ECID_DIGITS && digits === ECID_DIGITS) return -1;
    if (this.options.pcId && !isPcIdShape(idBuf, value.start, value.end)) return -1;
    const idBytes = w - at;
    const rawId = idBytes === idLength ? undefined : Buffer.from(idBuf.buffer, idBuf.byteOffset + value.start, idLength).toString('latin1');

    let mask = 0;
    const wide = this.row.wide;
    let wideCount = 0;
    const attributeColumn = this.attributeColumn;
    for (let a = 0; a < attributeColumn.length; a++) {
      const column = attributeColumn[a]!;
      if (column < 0) {
        const constant = this.attributeConstant[a]!;
        if (constant.length === 0) continue;
        out[w++] = COMMA;
        w += constant.copy(out, w);
        if (a < MASK_COLUMNS) mask |= 1 << a;
        else wide[wideCount++] = a;
        continue;
      }
      if (!this.read(column, this.attributeTransforms[a]!, cells)) return -1;
      const end = value.end;
      const length = end - value.start;
      if (length === 0) continue;
      // A value that could outgrow the room left for the row (long, or commas replaced by a long replacement): the step's.
      if (w + 1 + commaPolicy.expansion * length > out.length) return -1;
      const buf = value.buf;
      out[w] = COMMA;
      let o = w + 1;
      let commas = 0;
      for (let i = value.start; i < end; i++) {
        const b = buf[i]!;
        const kind = VALUE_CLASS[b];
        if (kind === COPY) out[o++] = b;
        else if (kind === ESCAPE) o = writeEscaped(out, o, b);
        else if (b === COMMA && commaPolicy.action !== 'reject') {
          o = commaPolicy.write(out, o);
          commas++;
        } else return -1; // CR, LF or NUL, or a comma under policy reject: the rules' to apply
      }
      if (commas > 0) {
        warnings.commas(a, commas, commaPolicy.action);
        if (commaPolicy.action === 'drop') continue; // the value is not sent
      }
      const sentBytes = length + commas * (commaPolicy.bytes - 1);
      if (sentBytes === 0) continue; // nothing left once its commas were replaced by nothing
      if (sentBytes > MAX_FAST_VALUE_BYTES) warnings.length(a, utf16Units(buf, value.start, end) + commas * (commaPolicy.units - 1));
      w = o;
      if (a < MASK_COLUMNS) mask |= 1 << a;
      else wide[wideCount++] = a;
    }
    const row = this.row;
    row.end = w;
    row.idBytes = idBytes;
    row.mask = mask;
    row.wideCount = wideCount;
    row.rawId = rawId;
    return data[contentEnd] === CR ? contentEnd + 2 : contentEnd + 1;
  }

  /** Puts the transformed value of input column `column` in `this.value` (empty when the row has no such cell); false when a transform declines. */
  private read(column: number, transforms: readonly ValueTransform[], cells: number): boolean {
    const value = this.value;
    if (column >= cells) {
      value.start = value.end = 0;
      return true;
    }
    value.set(this.data, this.cellStart[column]!, this.cellEnd[column]!, this.cellEscaped[column] === 1);
    return value.apply(transforms);
  }
}
