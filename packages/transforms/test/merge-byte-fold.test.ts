/**
 * The byte fold of HeldRows against the object fold it replaced: each row's non-empty values as an attributes
 * object, folded with MergedRow.fold and written with writeMergedRow. Same bytes, same shape names (in the
 * attributes object's key order), same origins; under policy reject the same conflicts (attribute, and which
 * two lines disagree: what the rejects say).
 */
import test from 'ava';
import fc from 'fast-check';
import { percentEncode } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { HeldRows, attributesOf, writeMergedRow } from '../src/merge/held-rows.js';
import { MergedRow } from '../src/merge/merged-row.js';
import { setOwn } from '../src/merge/own-attributes.js';
import { ShapeRegistry } from '../src/merge/row-shape.js';

const SOURCES = ['a.csv', 'b.csv'];

interface Row {
  id: string;
  /** Attribute names and values in header order; '' is an empty cell. */
  cells: [string, string][];
  source: number;
  line: number;
}

interface Out {
  line: string;
  names: readonly string[];
  rawId: string | undefined;
  origins: RowOrigin[];
}

// Integer-like names (listed first by Object.keys), __proto__, non-ASCII; values with commas, long values (copied
// natively), equal values in different rows (no conflict under reject).
const nameArb = fc.constantFrom('a', 'b', 'email', '__proto__', '2', '10', 'städt', 'e m');
const valueArb = fc.constantFrom('', '', 'x', 'y', 'zürich', 'a,b', '0', 'a value longer than twenty-four bytes, encoded');
const idArb = fc.constantFrom('1', '2', 'c-3', 'ü-4', 'a b');
const rowsArb = fc
  .array(fc.tuple(idArb, fc.uniqueArray(fc.tuple(nameArb, valueArb), { selector: ([name]) => name, maxLength: 8 }), fc.nat(1)), { minLength: 1, maxLength: 40 })
  .map((specs) => specs.map(([id, cells, source], i): Row => ({ id, cells, source, line: i + 2 })));

/** What RecordEncoder writes for a row: the encoded id, then `,value` per non-empty value in key order. */
function encode(row: Row, shapes: ShapeRegistry): { bytes: Buffer; idBytes: number; shape: number } {
  const attributes: Record<string, string> = {};
  for (const [name, value] of row.cells) if (value !== '') setOwn(attributes, name, percentEncode(value));
  const names = Object.keys(attributes);
  const id = percentEncode(row.id);
  return { bytes: Buffer.from(id + names.map((name) => `,${attributes[name]!}`).join(''), 'latin1'), idBytes: id.length, shape: shapes.intern(names).id };
}

/** What a conflict's rejects are made of: the id, every line, the attribute and the two lines that disagree. */
function describeConflict(row: MergedRow): unknown {
  const { attribute, held, incoming } = row.conflict!;
  return { id: row.id, lines: row.origins.map((origin) => origin.line), attribute, held: row.origins.indexOf(held), incoming: row.origins.indexOf(incoming) };
}

function byteFold(rows: readonly Row[], policy: MergePolicy, chunkBytes: number): { rows: Out[]; conflicts: unknown[] } {
  const shapes = new ShapeRegistry();
  const held = new HeldRows(resolveMergeOptions({ policy }), new RunContext(), shapes, SOURCES, { arenaChunkBytes: chunkBytes });
  rows.forEach((row, i) => {
    const { bytes, idBytes, shape } = encode(row, shapes);
    const rawId = idBytes === row.id.length ? undefined : row.id;
    const arena = held.arena;
    if (i % 2 === 0) {
      // The single-thread path: written at rowStart.
      const at = arena.ensure(arena.rowStart, bytes.length + 1);
      bytes.copy(arena.buf, at);
      held.hold(rawId, idBytes, at + bytes.length, shape, row.source, row.line);
    } else {
      // The worker path: a chunk appended, then each row placed where it landed.
      const at = arena.append(Buffer.concat([bytes, Buffer.from('\n')]), 0, bytes.length + 1);
      held.holdPlaced(at, rawId, idBytes, at + bytes.length, shape, row.source, row.line);
    }
  });
  const out: Out[] = [];
  const conflicts: unknown[] = [];
  const drain = held.drain({
    row(src, start, end, _idBytes, shape, rawId, origins, source, line) {
      out.push({ line: src.toString('latin1', start, end), names: shapes.shapes[shape]!.names, rawId, origins: origins ? [...origins] : [{ source: SOURCES[source]!, line }] });
    },
    conflict(row) {
      conflicts.push(describeConflict(row));
    },
  });
  for (const _ of drain);
  return { rows: out, conflicts };
}

/** The fold before bytes: MergedRow over attributes objects of encoded values, written by writeMergedRow. */
function objectFold(rows: readonly Row[], policy: MergePolicy): { rows: Out[]; conflicts: unknown[] } {
  const shapes = new ShapeRegistry();
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = groups.get(row.id);
    if (group) group.push(row);
    else groups.set(row.id, [row]);
  }
  const out: Out[] = [];
  const conflicts: unknown[] = [];
  for (const [id, group] of groups) {
    const encoded = group.map((row) => encode(row, shapes));
    const first = encoded[0]!;
    const rawId = first.idBytes === id.length ? undefined : id;
    const originOf = (row: Row): RowOrigin => ({ source: SOURCES[row.source]!, line: row.line });
    if (group.length === 1) {
      out.push({ line: first.bytes.toString('latin1'), names: shapes.shapes[first.shape]!.names, rawId, origins: [originOf(group[0]!)] });
      continue;
    }
    const attributesOfRow = (e: (typeof encoded)[number]): Record<string, string> => attributesOf(e.bytes, 0, e.bytes.length, e.idBytes, shapes.shapes[e.shape]!.names);
    const merged = new MergedRow(id, attributesOfRow(first), [originOf(group[0]!)], policy === 'reject');
    for (let i = 1; i < group.length; i++) merged.fold({ id, attributes: attributesOfRow(encoded[i]!), origins: [originOf(group[i]!)] }, policy);
    if (merged.conflict !== undefined) {
      conflicts.push(describeConflict(merged));
      continue;
    }
    const written = writeMergedRow(merged, first.bytes, 0, first.idBytes, Buffer.alloc(16), shapes);
    out.push({ line: written.buf.toString('latin1', 0, written.end), names: shapes.shapes[written.shape]!.names, rawId, origins: merged.origins });
  }
  return { rows: out, conflicts };
}

test('the byte fold gives the object fold: bytes, names in key order, origins and conflicts, under every policy', (t) => {
  fc.assert(
    fc.property(rowsArb, fc.constantFrom<MergePolicy>('last', 'first', 'reject'), fc.constantFrom(64, 1 << 16), (rows, policy, chunkBytes) => {
      t.deepEqual(byteFold(rows, policy, chunkBytes), objectFold(rows, policy));
    }),
    { numRuns: 400 },
  );
});

test('integer-like names go first, in numeric order, wherever they came in; __proto__ stays an attribute', (t) => {
  const rows: Row[] = [
    { id: 'k', cells: [['b', 'x'], ['__proto__', 'p']], source: 0, line: 2 },
    { id: 'k', cells: [['10', 'ten'], ['a', ''], ['2', 'two']], source: 1, line: 3 },
    { id: 'k', cells: [['a', 'y'], ['b', 'z']], source: 0, line: 4 },
  ];
  const { rows: out } = byteFold(rows, 'last', 1 << 16);
  t.deepEqual(out, [
    {
      line: 'k,two,ten,z,p,y',
      names: ['2', '10', 'b', '__proto__', 'a'],
      rawId: undefined,
      origins: [
        { source: 'a.csv', line: 2 },
        { source: 'b.csv', line: 3 },
        { source: 'a.csv', line: 4 },
      ],
    },
  ]);
  t.deepEqual(byteFold(rows, 'first', 1 << 16).rows[0]!.line, 'k,two,ten,x,p,y');
});

test('an id folded 500 times, its values growing and shrinking (rows rewritten in place or moved): the object fold', (t) => {
  const rows: Row[] = [];
  for (let i = 0; i < 500; i++) rows.push({ id: 'one', cells: [['a', 'v'.repeat(1 + (i % 50))], ['b', i % 7 === 0 ? '' : String(i)]], source: 0, line: i + 2 });
  for (const policy of ['last', 'first'] as const) t.deepEqual(byteFold(rows, policy, 4096), objectFold(rows, policy), policy);
});
