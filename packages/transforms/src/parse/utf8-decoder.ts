/**
 * Strict streaming UTF-8 decoding. One TextDecoder for the whole input (`stream: true`), so a character
 * split across chunks survives; `fatal: true`, so a bad byte is an error instead of a silent U+FFFD.
 * Measured on 155 MB of CRM text: ~0.1 µs per row, faster than Buffer#toString or StringDecoder.
 *
 * TextDecoder does not say where the bad byte is; on failure we find it ourselves (rare path) and report
 * the text that was valid before it, so the caller can feed it on and name the line.
 */

const INCOMPLETE = -1;

/** The result of decoding a chunk with an invalid byte in it. */
export interface InvalidUtf8 {
  /** The valid text before the bad byte (everything since the last successful decode). */
  readonly validText: string;
  /** Offset of the bad byte from the start of the input (BOM included). */
  readonly byteOffset: number;
}

export class Utf8Decoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  /** Bytes given to decode() so far. */
  private bytesSeen = 0;
  /** The trailing bytes TextDecoder holds back as an incomplete character, mirrored for error offsets. */
  private heldBack: Uint8Array = new Uint8Array(0);

  /** No incomplete character is held back: the bytes so far ended at a character boundary. */
  get atCharBoundary(): boolean {
    return this.heldBack.length === 0;
  }

  /** Continues at input byte `byteOffset`: another reader consumed the bytes in between (at a character boundary). */
  resumeAt(byteOffset: number): void {
    this.bytesSeen = byteOffset;
  }

  /** Decodes one chunk; returns the text, or where the input stops being UTF-8. */
  decode(bytes: Uint8Array): string | InvalidUtf8 {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      return this.locate(bytes, false);
    }
    // A chunk of 4+ bytes holds the lead byte of its own last character; shorter ones may continue the held-back one.
    const tailOf = bytes.length >= 4 || this.heldBack.length === 0 ? bytes : concat(this.heldBack, bytes);
    // A copy (Buffer#slice would be a view): callers may reuse their chunk buffer once decode() returns.
    this.heldBack = Uint8Array.prototype.slice.call(tailOf, completeCharsEnd(tailOf));
    this.bytesSeen += bytes.length;
    return text;
  }

  /** End of input: an incomplete character at the very end is invalid too. */
  end(): string | InvalidUtf8 {
    try {
      return this.decoder.decode();
    } catch {
      return this.locate(new Uint8Array(0), true);
    }
  }

  private locate(bytes: Uint8Array, atEnd: boolean): InvalidUtf8 {
    const joined = this.heldBack.length > 0 ? concat(this.heldBack, bytes) : bytes;
    const base = this.bytesSeen - this.heldBack.length;
    let bad = firstInvalidUtf8(joined);
    if (bad === INCOMPLETE) bad = atEnd ? completeCharsEnd(joined) : joined.length;
    // Strip a BOM only if this text is the start of the input, as the streaming decoder would have.
    const validText = new TextDecoder('utf-8', { ignoreBOM: base !== 0 }).decode(joined.subarray(0, bad));
    return { validText, byteOffset: base + bad };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/** Length of `bytes` without a trailing incomplete (but so far valid) multi-byte sequence. */
function completeCharsEnd(bytes: Uint8Array): number {
  const length = bytes.length;
  let start = length - 1;
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  while (start >= 0 && start > length - 4 && ((bytes[start] as number) & 0xc0) === 0x80) start--;
  if (start < 0) return length;
  const need = sequenceLength(bytes[start] as number);
  return need > 1 && start + need > length ? start : length;
}

function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/**
 * Offset of the first byte that cannot start or continue a valid UTF-8 sequence (WHATWG rules: no overlongs,
 * no surrogates, nothing above U+10FFFF); INCOMPLETE when the only problem is a sequence cut at the end.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) need = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= length) return INCOMPLETE;
      const next = bytes[i + k] as number;
      if (next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return length;
}
