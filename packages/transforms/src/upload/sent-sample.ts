/**
 * A deterministic handful of each batch's rows, recorded in the journal's `batch-built` record so that
 * `bulkpipe verify <journal>` can fetch those profiles later and compare — without the inputs, and without
 * writing attribute values to disk (only a short hash of each). The rows are those whose id hashes lowest,
 * so the same batch always yields the same sample.
 */
import { createHash } from 'node:crypto';
import type { IdType, SentRowSample } from '@bulkpipe/core';
import type { Batch } from '../batch/index.js';
import { rowCursor } from '../batch/batch-rows.js';
import { idHash } from '../merge/row-arena.js';

/** `sha256:` + 16 hex digits: enough to tell values apart, too short to be worth brute-forcing back. */
export function valueDigest(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

/** FNV-1a 32-bit over UTF-16 code units: cheap, stable, and independent of the process. */
export function idRank(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}


/** The `count` rows of a batch whose ids rank lowest, decoded from the body actually sent. */
export function sampleBatch(batch: Batch, idType: IdType, count: number): SentRowSample[] {
  if (count <= 0 || batch.rows === 0) return [];
  // Keep the `count` lowest (rank, index, id) in a small sorted array: one pass over the rows, no id array, and
  // an id string only for the rows kept.
  const chosen: Array<[number, number, string]> = [];
  const rows = rowCursor(batch);
  for (let index = 0; rows.next(); index++) {
    const idBuffer = rows.idBuffer;
    // An id given as its ASCII bytes (a code unit per byte) ranks by the same FNV-1a, the merge's idHash: no string.
    const rank = idBuffer !== undefined ? idHash(idBuffer, rows.idFrom, rows.idTo - rows.idFrom) >>> 0 : idRank(rows.id);
    if (chosen.length === count && rank >= chosen[count - 1]![0]) continue;
    let at = chosen.length;
    while (at > 0 && chosen[at - 1]![0] > rank) at--;
    chosen.splice(at, 0, [rank, index, rows.id]);
    if (chosen.length > count) chosen.pop();
  }
  const wanted = new Set(chosen.map(([, index]) => index + 1)); // body line 0 is the header
  const lines = bodyLines(batch.body, wanted);
  const names = decodeCells(lines.get(0) as string).slice(1);
  return chosen.map(([, index, id]) => {
    const cells = decodeCells(lines.get(index + 1) ?? '');
    const values: Record<string, string> = {};
    cells.slice(1).forEach((value, i) => {
      if (value !== '') values[names[i] as string] = valueDigest(value);
    });
    return { id, idType, values };
  });
}

/** The text of the wanted body lines (and the header, line 0), without `batch=`. */
function bodyLines(body: Buffer, wanted: ReadonlySet<number>): Map<number, string> {
  const found = new Map<number, string>();
  let start = 0;
  for (let line = 0; start < body.length; line++) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (line === 0) found.set(0, body.toString('latin1', start, end).replace(/^batch=/, ''));
    else if (wanted.has(line)) found.set(line, body.toString('latin1', start, end));
    start = end + 1;
  }
  return found;
}

/** The body is percent-encoded ASCII: split on `,` then decode each cell, as Target reads it. */
function decodeCells(line: string): string[] {
  return line.split(',').map((cell) => decodeURIComponent(cell));
}
