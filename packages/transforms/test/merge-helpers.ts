/** Shared by the merge tests: random duplicate-heavy inputs and a plain reference merge to compare against. */
import fc from 'fast-check';
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { ownValue, setOwn } from '../src/merge/own-attributes.js';

/** Few ids, names and values, so duplicates and conflicts are common; '__proto__' must stay an attribute. */
const idArb = fc.constantFrom('1', '2', '3', '4', '5', 'customer-00000000001', 'customer-00000000002');
const nameArb = fc.constantFrom('a', 'b', 'c', 'email', '__proto__');
const valueArb = fc.constantFrom('', 'x', 'y', 'zürich', 'a value longer than thirteen chars', 'nul\0inside');

export const rowsArb = fc
  .array(fc.tuple(idArb, fc.array(fc.tuple(nameArb, valueArb), { maxLength: 5 }), fc.boolean()), { maxLength: 60 })
  .map((specs) =>
    specs.map(([id, cells, otherSource], index): ProfileRow => {
      const attributes: Record<string, string> = {};
      for (const [name, value] of cells) setOwn(attributes, name, value);
      return { id, attributes, origins: [{ source: otherSource ? 'b.csv' : 'a.csv', line: index + 2 }] };
    }),
  );

export interface ReferenceResult {
  rows: ProfileRow[];
  rejectedLines: number[];
}

/** Groups by id in first-seen order and folds each group the obvious way. */
export function referenceMerge(input: readonly ProfileRow[], policy: MergePolicy): ReferenceResult {
  const groups = new Map<string, ProfileRow[]>();
  for (const row of input) {
    const group = groups.get(row.id);
    if (group) group.push(row);
    else groups.set(row.id, [row]);
  }
  const rows: ProfileRow[] = [];
  const rejectedLines: number[] = [];
  for (const [id, group] of groups) {
    const attributes: Record<string, string> = {};
    for (const name of Object.keys(group[0]!.attributes)) setOwn(attributes, name, group[0]!.attributes[name]!);
    const origins: RowOrigin[] = group.flatMap((row) => row.origins);
    let conflict = false;
    for (const row of group.slice(1)) {
      for (const name of Object.keys(row.attributes)) {
        const value = row.attributes[name]!;
        const held = ownValue(attributes, name);
        if (value === '') continue;
        if (policy === 'last' || !held) setOwn(attributes, name, value);
        else if (policy === 'reject' && held !== value) conflict = true;
      }
    }
    if (conflict) rejectedLines.push(...origins.map((origin) => origin.line));
    else rows.push({ id, attributes, origins });
  }
  return { rows, rejectedLines };
}

/** Plain data with attribute order kept, for deepEqual across object kinds. */
export function plain(rows: readonly ProfileRow[]): unknown[] {
  return rows.map((row) => ({
    id: row.id,
    attributes: Object.keys(row.attributes).map((name) => [name, row.attributes[name]]),
    origins: row.origins.map((origin) => ({ source: origin.source, line: origin.line })),
  }));
}
