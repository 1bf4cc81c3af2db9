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
