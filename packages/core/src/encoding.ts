/**
 * Batch text encoding. Target form-decodes the whole body once and then splits it on LF and `,`
 * (shared/TARGET-API.md §2), so every name and value is percent-encoded as UTF-8 with the RFC 3986
 * unreserved set kept literal: never `+` for a space, and `!'()*` encoded too.
 */
import { BATCH_FIELD_PREFIX } from './limits.js';

const NEEDS_EXTRA_ESCAPE = /[!'()*]/g;
const HAS_EXTRA = /[!'()*]/;

function escapeExtra(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * Percent-encodes one name or value. Throws URIError on a lone surrogate (not representable in UTF-8):
 * callers reject the row with VALUE_UNENCODABLE.
 */
export function percentEncode(text: string): string {
  const encoded = encodeURIComponent(text);
  return HAS_EXTRA.test(encoded) ? encoded.replace(NEEDS_EXTRA_ESCAPE, escapeExtra) : encoded;
}

/** The body's first line, `batch=` included, without its LF. */
export function encodeBatchHeader(idType: string, attributeNames: readonly string[]): string {
  let header = BATCH_FIELD_PREFIX + idType;
  for (const name of attributeNames) header += ',' + percentEncode(name);
  return header;
}

/**
 * One data line without its LF: the encoded id, then one cell per header column up to the last
 * non-empty one (trailing empty cells are omitted, which Target reads as "no value").
 * `encodedValues[i]` is the already-encoded value for header column i, '' when absent.
 */
export function joinBatchLine(encodedId: string, encodedValues: readonly string[]): string {
  let last = encodedValues.length - 1;
  while (last >= 0 && encodedValues[last] === '') last--;
  let line = encodedId;
  for (let i = 0; i <= last; i++) line += ',' + encodedValues[i];
  return line;
}

/** RFC 3986 unreserved ASCII (A-Z a-z 0-9 - . _ ~): the bytes percentEncode leaves literal. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const char = String.fromCharCode(c);
  UNRESERVED[c] = /[A-Za-z0-9\-._~]/.test(char) ? 1 : 0;
}
/** Upper-case hex digit codes, as encodeURIComponent writes them. */
const HEX = new Uint8Array([...'0123456789ABCDEF'].map((c) => c.charCodeAt(0)));

/** Encoded bytes can be at most this many per UTF-16 unit of the input (a 3-byte UTF-8 char → 9). */
export const MAX_ENCODED_BYTES_PER_UNIT = 9;

/**
 * Writes percentEncode(text) as ASCII bytes into `target` at `offset` and returns the offset after it, or -1
 * when the text holds a lone surrogate (percentEncode would throw), or, with `stopAtSeparators`, a comma, CR
 * or LF (Target would split on them even encoded: the caller applies its value policy instead). `target` must have room for
 * `text.length * MAX_ENCODED_BYTES_PER_UNIT` bytes. The same bytes as percentEncode, without the intermediate
 * strings: the pipeline encodes every value of every row once, straight into the merge's byte arena.
 */
export function percentEncodeInto(text: string, target: Uint8Array, offset: number, stopAtSeparators = false): number {
  let o = offset;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (UNRESERVED[c] === 1) {
        target[o++] = c;
        continue;
      }
      if (stopAtSeparators && (c === 0x2c || c === 0x0a || c === 0x0d)) return -1;
      target[o] = 0x25;
      target[o + 1] = HEX[c >> 4]!;
      target[o + 2] = HEX[c & 15]!;
      o += 3;
      continue;
    }
    if (c < 0x800) {
      o = escapeByte(target, o, 0xc0 | (c >> 6));
      o = escapeByte(target, o, 0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
      o = escapeByte(target, o, 0xf0 | (c >> 18));
      o = escapeByte(target, o, 0x80 | ((c >> 12) & 0x3f));
    } else {
      o = escapeByte(target, o, 0xe0 | (c >> 12));
    }
    o = escapeByte(target, o, 0x80 | ((c >> 6) & 0x3f));
    o = escapeByte(target, o, 0x80 | (c & 0x3f));
  }
  return o;
}

function escapeByte(target: Uint8Array, o: number, byte: number): number {
  target[o] = 0x25;
  target[o + 1] = HEX[byte >> 4]!;
  target[o + 2] = HEX[byte & 15]!;
  return o + 3;
}
