/**
 * A mapping's value transforms (map/value-transforms.ts) on a cell's UTF-8 bytes, for the fast lane. They give
 * the bytes of what the string transforms give, or decline: trim, lowercase, uppercase and collapseWhitespace
 * work on ASCII, so a value where non-ASCII text could be whitespace or have a case (any byte ≥ 0x80 they would
 * have to look at) declines, and the record goes to the parse step and the map step. sha256 hashes any bytes.
 * As with strings, the transforms stop as soon as the value is empty.
 */
import { sha256HexOf } from '../map/value-transforms.js';
import type { ValueTransform } from '../map/value-transforms.js';

const SPACE = 0x20;
/** SHA-256 as lower-case hex: 64 ASCII bytes. */
const SHA256_HEX_BYTES = 64;

/** What String.prototype.trim and /\s/ count as whitespace, in ASCII: TAB, LF, VT, FF, CR, space. */
function isAsciiWhitespace(byte: number): boolean {
  return byte === SPACE || (byte >= 0x09 && byte <= 0x0d);
}

/**
 * A value being transformed: `buf[start, end)`. Starts as a view of the input's bytes; a transform that changes
 * bytes first moves the value into the scratch buffer, which is the caller's own, reused for each value.
 */
export class ByteValue {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  private scratch = Buffer.allocUnsafe(512);

  /** The value `data[start, end)`, with `""` read as `"` when `escapedQuotes` (a quoted cell that had them). */
  set(data: Uint8Array, start: number, end: number, escapedQuotes: boolean): void {
    if (!escapedQuotes) {
      this.buf = data;
      this.start = start;
      this.end = end;
      return;
    }
    const scratch = this.room(end - start);
    let o = 0;
    for (let i = start; i < end; i++) {
      scratch[o++] = data[i]!;
      if (data[i] === 0x22) i++; // the second quote of a pair
    }
    this.buf = scratch;
    this.start = 0;
    this.end = o;
  }

  /** Applies `transforms` in order; false when one declines (see the module comment). */
  apply(transforms: readonly ValueTransform[]): boolean {
    for (let i = 0; i < transforms.length && this.end > this.start; i++) {
      switch (transforms[i]) {
        case 'trim':
          if (!this.trim()) return false;
          break;
        case 'lowercase':
          if (!this.mapAscii(0x41, 0x5a, 0x20)) return false;
          break;
        case 'uppercase':
          if (!this.mapAscii(0x61, 0x7a, -0x20)) return false;
          break;
        case 'collapseWhitespace':
          if (!this.collapseWhitespace()) return false;
          break;
        case 'sha256':
          this.sha256();
          break;
        default:
          return false;
      }
    }
    return true;
  }

  private trim(): boolean {
    const buf = this.buf;
    let start = this.start;
    let end = this.end;
    for (; start < end; start++) {
      const byte = buf[start]!;
      if (byte >= 0x80) return false; // U+00A0, U+FEFF, U+2000… would be trimmed too
      if (!isAsciiWhitespace(byte)) break;
    }
    for (; end > start; end--) {
      const byte = buf[end - 1]!;
      if (byte >= 0x80) return false;
      if (!isAsciiWhitespace(byte)) break;
    }
    this.start = start;
    this.end = end;
    return true;
  }

  /** Adds `delta` to the bytes in [from, to]: the ASCII case mappings (in one pass with the copy to scratch). */
  private mapAscii(from: number, to: number, delta: number): boolean {
    const buf = this.buf;
    const start = this.start;
    const length = this.end - start;
    const scratch = buf === this.scratch ? this.scratch : this.room(length);
    const shift = buf === this.scratch ? 0 : start;
    for (let i = 0; i < length; i++) {
      const byte = buf[start + i]!;
      if (byte >= 0x80) return false; // a case mapping beyond ASCII
      scratch[start - shift + i] = byte >= from && byte <= to ? byte + delta : byte;
    }
    this.buf = scratch;
    this.start = start - shift;
    this.end = this.start + length;
    return true;
  }

  private collapseWhitespace(): boolean {
    if (!this.isAscii()) return false;
    const scratch = this.toScratch();
    let o = this.start;
    let inRun = false;
    for (let i = this.start; i < this.end; i++) {
      const byte = scratch[i]!;
      if (!isAsciiWhitespace(byte)) {
        scratch[o++] = byte;
        inRun = false;
      } else if (!inRun) {
        scratch[o++] = SPACE;
        inRun = true;
      }
    }
    this.end = o;
    return true;
  }

  private sha256(): void {
    const hex = sha256HexOf(this.buf.subarray(this.start, this.end));
    const scratch = this.room(SHA256_HEX_BYTES);
    scratch.write(hex, 0, 'latin1');
    this.buf = scratch;
    this.start = 0;
    this.end = SHA256_HEX_BYTES;
  }

  private isAscii(): boolean {
    const buf = this.buf;
    for (let i = this.start; i < this.end; i++) if (buf[i]! >= 0x80) return false;
    return true;
  }

  /** The value, moved into the scratch buffer if it is not there yet (same start and end). */
  private toScratch(): Uint8Array {
    if (this.buf === this.scratch) return this.scratch;
    const length = this.end - this.start;
    const scratch = this.room(length);
    scratch.set(this.buf.subarray(this.start, this.end), 0);
    this.buf = scratch;
    this.start = 0;
    this.end = length;
    return scratch;
  }

  /** The scratch buffer with room for `bytes` (its content is the caller's to overwrite). */
  private room(bytes: number): Buffer {
    if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, this.scratch.length * 2));
    return this.scratch;
  }
}
