/**
 * Reading the decoded `batch` field: split on LF, then on `,`, no quote handling (TARGET-API.md §2).
 * Written from the contract, independently of bulkpipe's encoder, so a client bug cannot hide behind the
 * same bug here.
 */

export type KeyType = 'thirdPartyId' | 'pcId';

/** How the text is read; each is a setting because only a live account could settle it (§6). */
export interface BatchTextRules {
  /** Drop one CR before each LF (a CRLF file). */
  readonly stripCarriageReturn: boolean;
  /** Trim spaces around every cell. */
  readonly trimCells: boolean;
  /** Require the key header spelled exactly `pcId` / `thirdPartyId`. */
  readonly keyHeaderCaseSensitive: boolean;
}

export interface BatchHeader {
  readonly keyType: KeyType;
  /** Attribute names by column; index 0 is the key column and is unused. Empty names are ignored columns. */
  readonly names: readonly string[];
  /** Offset in the text where the first data line starts (text.length when there is none). */
  readonly bodyStart: number;
}

export type HeaderResult = { readonly ok: true; readonly header: BatchHeader } | { readonly ok: false; readonly message: string };

const KEY_TYPES: readonly KeyType[] = ['thirdPartyId', 'pcId'];

function lineAt(text: string, start: number, rules: BatchTextRules): { line: string; next: number } {
  let end = text.indexOf('\n', start);
  const next = end === -1 ? text.length : end + 1;
  if (end === -1) end = text.length;
  if (rules.stripCarriageReturn && end > start && text.charCodeAt(end - 1) === 13) end -= 1;
  return { line: text.slice(start, end), next };
}

function splitCells(line: string, rules: BatchTextRules): string[] {
  const cells = line.split(',');
  if (rules.trimCells) for (let i = 0; i < cells.length; i++) cells[i] = cells[i]!.trim();
  return cells;
}

/** Reads and checks line 1: the key column then bare attribute names. */
export function readHeader(text: string, rules: BatchTextRules, maxNameLength: number): HeaderResult {
  const { line, next } = lineAt(text, 0, rules);
  const cells = splitCells(line, rules);
  const rawKey = cells[0] ?? '';
  const keyType = KEY_TYPES.find((type) => (rules.keyHeaderCaseSensitive ? type === rawKey : type.toLowerCase() === rawKey.toLowerCase()));
  if (keyType === undefined) {
    return { ok: false, message: `Invalid batch header: the first column must be pcId or thirdPartyId, got "${rawKey.slice(0, 64)}"` };
  }
  const tooLong = cells.slice(1).find((name) => name.length > maxNameLength);
  if (tooLong !== undefined) {
    return { ok: false, message: `Invalid batch header: attribute name longer than ${maxNameLength} characters ("${tooLong.slice(0, 32)}…")` };
  }
  return { ok: true, header: { keyType, names: cells, bodyStart: next } };
}

/** Counts data lines (blank lines are not rows) from `start`, stopping early once past `stopAbove`. */
export function countRows(text: string, start: number, rules: BatchTextRules, stopAbove = Number.POSITIVE_INFINITY): number {
  let rows = 0;
  let at = start;
  while (at < text.length && rows <= stopAbove) {
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    let length = end - at;
    if (rules.stripCarriageReturn && length > 0 && text.charCodeAt(end - 1) === 13) length -= 1;
    if (length > 0 && !(rules.trimCells && text.slice(at, at + length).trim() === '')) rows += 1;
    at = end + 1;
  }
  return rows;
}

/** True when no data line carries any non-empty attribute value (Target skips such a batch). */
export function hasOnlyEmptyValues(text: string, header: BatchHeader, rules: BatchTextRules): boolean {
  const cursor = new RowCursor(text, header.bodyStart, rules);
  for (let cells = cursor.next(); cells !== undefined; cells = cursor.next()) {
    for (let column = 1; column < cells.length; column++) {
      if (cells[column] !== '' && (header.names[column] ?? '') !== '') return false;
    }
  }
  return true;
}

/** Walks the data lines one at a time, resumable, so processing can yield to the event loop between chunks. */
export class RowCursor {
  #at: number;
  readonly #text: string;
  readonly #rules: BatchTextRules;

  constructor(text: string, start: number, rules: BatchTextRules) {
    this.#text = text;
    this.#at = start;
    this.#rules = rules;
  }

  /** The next non-blank line's cells, or undefined at the end. */
  next(): string[] | undefined {
    const text = this.#text;
    const rules = this.#rules;
    // lineAt, inlined: this runs once per row of a 500,000-row batch
    while (this.#at < text.length) {
      const start = this.#at;
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      this.#at = end + 1;
      if (rules.stripCarriageReturn && end > start && text.charCodeAt(end - 1) === 13) end -= 1;
      if (end === start) continue;
      const line = text.slice(start, end);
      if (rules.trimCells && line.trim() === '') continue;
      return splitCells(line, rules);
    }
    return undefined;
  }
}
