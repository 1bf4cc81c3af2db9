/** What the fast lane's line encoders (fast-lane.ts, mapped-line.ts) share: the byte rules of certain records. */

export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
const PERCENT = 0x25;
const HEX = new Uint8Array([...'0123456789ABCDEF'].map((c) => c.charCodeAt(0)));

/** Longest value (bytes) the lane encodes; a longer one may draw VALUE_LONG (> 256 characters). */
export const MAX_FAST_VALUE_BYTES = 256;
export const ECID_DIGITS = 38;

/** RFC 3986 unreserved ASCII: what percentEncode leaves literal. */
export function isUnreserved(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}

/** Id bytes the lane takes: printable ASCII except `+ / ,` (thirdPartyId's forbidden characters). */
export const FAST_ID_BYTE = new Uint8Array(256);
for (let b = 0x21; b <= 0x7e; b++) FAST_ID_BYTE[b] = b === 0x2b || b === 0x2f || b === COMMA ? 0 : 1;

/** `%XX` for `byte` at `out[o]` (upper-case hex, as encodeURIComponent writes it); returns the write end. */
export function writeEscaped(out: Uint8Array, o: number, byte: number): number {
  out[o] = PERCENT;
  out[o + 1] = HEX[byte >> 4]!;
  out[o + 2] = HEX[byte & 15]!;
  return o + 3;
}
