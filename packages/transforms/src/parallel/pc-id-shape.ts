/**
 * core's pcId shape check (rules/id-rules.ts: 32–40 hex digits, or `<digits>-<digits>`, either optionally
 * followed by `.<digits>_<digits>`, case-insensitive) on bytes, for the fast lane: an id in this shape draws no
 * PC_ID_SHAPE warning. Property-tested against checkPcId.
 */
const DASH = 0x2d;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isHex(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);
}

/** Where the run of digits from `p` ends (`p` when there is none). */
function digitsEnd(data: Uint8Array, p: number, end: number): number {
  while (p < end && isDigit(data[p]!)) p++;
  return p;
}

/** Whether `data[start, end)` has the shape of a Target visitor id. */
export function isPcIdShape(data: Uint8Array, start: number, end: number): boolean {
  let p = start;
  let onlyDigits = true;
  while (p < end && isHex(data[p]!)) {
    if (!isDigit(data[p]!)) onlyDigits = false;
    p++;
  }
  const run = p - start;
  if (p < end && data[p] === DASH && onlyDigits && run > 0) {
    const from = p + 1;
    p = digitsEnd(data, from, end);
    if (p === from) return false;
  } else if (run < 32 || run > 40) {
    return false;
  }
  if (p === end) return true;
  if (data[p] !== DOT) return false;
  const major = p + 1;
  p = digitsEnd(data, major, end);
  if (p === major || p >= end || data[p] !== UNDERSCORE) return false;
  const minor = p + 1;
  p = digitsEnd(data, minor, end);
  return p > minor && p === end;
}
