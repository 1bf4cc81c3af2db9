/** Shared by the batch tests: random rows Target can take, and a decoder that reads a body the way Target does. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { ProfileRow } from '@bulkpipe/core';

/** Text without the delimiters Target splits on (validate's job), with every other character allowed. */
const textArb = (minLength: number) =>
  fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', '%', '&', '=', '+', '/', '!', '*', 'ü', '€', '😀', '"', "'"), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength, maxLength: 12 })
    .filter((text) => !/[,\r\n]/.test(text));

const idArb = textArb(1).filter((id) => !/[+/]/.test(id));
const nameArb = fc.constantFrom('email', 'tier', 'city', 'a b', 'ünïcode', '%25', 'x'.repeat(20));

/** Rows with distinct ids (merge ran before), empty values sometimes, lines in input order. */
export const batchRowsArb = fc
  .uniqueArray(fc.tuple(idArb, fc.array(fc.tuple(nameArb, fc.oneof(textArb(0), fc.constant(''))), { maxLength: 4 })), {
    selector: ([id]) => id,
    maxLength: 40,
  })
  .map((specs) =>
    specs.map(([id, cells], index): ProfileRow => {
      const attributes: Record<string, string> = {};
      for (const [name, value] of cells) attributes[name] = value;
      return { id, attributes, origins: [{ source: 'in.csv', line: index + 2 }] };
    }),
  );

export interface DecodedBody {
  key: string;
  names: string[];
  rows: { id: string; attributes: Record<string, string> }[];
}

/** Target's reading: drop `batch=`, form-decode the whole body once, split on LF then `,`. */
export function decodeBody(body: Buffer): DecodedBody {
  const text = body.toString('latin1');
  if (!text.startsWith('batch=') || !text.endsWith('\n')) throw new Error('body must start with batch= and end with LF');
  if (/[^\x21-\x7e\n]/.test(text)) throw new Error('body must be printable ASCII and LF only');
  const decoded = decodeURIComponent(text.slice('batch='.length).replaceAll('+', ' '));
  const [header, ...lines] = decoded.slice(0, -1).split('\n');
  const [key, ...names] = header!.split(',');
  const rows = lines.map((line) => {
    const [id, ...cells] = line.split(',');
    if (cells.length > names.length) throw new Error(`row ${id} has more cells than the header`);
    if (cells.length > 0 && cells.at(-1) === '') throw new Error(`row ${id} ends with an empty cell`);
    const attributes: Record<string, string> = {};
    cells.forEach((cell, i) => {
      if (cell !== '') attributes[names[i]!] = cell;
    });
    return { id: id!, attributes };
  });
  return { key: key!, names, rows };
}

/** The row's non-empty values, which is all Target keeps. */
export function nonEmpty(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
