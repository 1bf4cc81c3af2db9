/**
 * The fast lane with a mapping (parallel/mapped-line.ts, byte-transforms.ts) against the parse step, the map step
 * and RecordEncoder: random mappings — kept, dropped and renamed columns, derived columns and ids, constants,
 * every transform in any order — over CSV whose values probe the transforms (padding, case, whitespace runs,
 * non-ASCII letters and spaces, quotes, commas), cut into arbitrary chunks: the same rows, rejects, warnings,
 * counts and errors.
 */
import test from 'ava';
import fc from 'fast-check';
import type { IdType, ValuePolicy } from '@bulkpipe/core';
import { VALUE_TRANSFORMS } from '../src/map/value-transforms.js';
import type { ValueTransform } from '../src/map/value-transforms.js';
import type { ColumnRule, Mapping } from '../src/map/mapping.js';
import { laneStats, viaLane, viaStep } from './lane-harness.js';
import type { Case } from './lane-harness.js';

const valuePieces = fc.constantFrom(
  'a', 'Zq', 'MiXeD', '42', ' ', '  ', '\t', '\u000b', '.', '-', '@', '+', 'é', 'É', 'ß', 'İ', '東京', '😀',
  '\u00a0', '\u3000', '\ufeff', ',', '"', ';', '%', 'x'.repeat(120),
);
const value = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-zA-Z0-9.@-]{0,12}$/) },
  { weight: 3, arbitrary: fc.array(valuePieces, { maxLength: 5 }).map((pieces) => pieces.join('')) },
);
const written = fc.tuple(value, fc.constantFrom('plain', 'plain', 'quoted')).map(([text, how]) => {
  if (how === 'quoted' || /[",;\t]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
});
const id = fc.oneof(
  { weight: 5, arbitrary: fc.nat(60).map((n) => `C-${n}`) },
  { weight: 1, arbitrary: fc.constantFrom(' c-1 ', 'c 1', 'É-1', '', '1'.repeat(38), 'a+b', `${'0f1e2d3c4b5a6978'.repeat(2)}`, '12-34.5_6', 'Mail@Example.COM') },
);
const transforms = fc.array(fc.constantFrom<ValueTransform>(...VALUE_TRANSFORMS), { maxLength: 3 });

/** A mapping of input columns `names` whose output id column is `key`. */
function mappingFor(names: readonly string[]): fc.Arbitrary<Mapping> {
  const rule = (column: string, i: number): fc.Arbitrary<ColumnRule | undefined> =>
    fc.oneof(
      fc.constant(undefined),
      fc.constant({ column, keep: false, transforms: [] }),
      transforms.map((list) => ({ column, keep: true, rename: `r${i}`, transforms: list })),
      transforms.map((list) => ({ column, keep: true, transforms: list })),
    );
  return fc
    .record({
      idFrom: fc.constantFrom(...names),
      idTransforms: transforms,
      deriveId: fc.boolean(),
      rules: fc.tuple(...names.map((name, i) => rule(name, i))),
      otherColumns: fc.constantFrom<'keep' | 'drop'>('keep', 'drop'),
      derive: fc.array(fc.tuple(fc.constantFrom(...names), transforms), { maxLength: 2 }),
      constants: fc.array(fc.constantFrom('salesforce', '', 'a,b', 'é', 'x'.repeat(300), '\ud800'), { maxLength: 2 }),
    })
    .map(({ idFrom, idTransforms, deriveId, rules, otherColumns, derive, constants }): Mapping => {
      // The id: the `id` input column renamed to `key`, or `key` derived from any column (then `id` is whatever its rule says).
      const columns = rules.filter((r): r is ColumnRule => r !== undefined && (deriveId || r.column !== 'id'));
      const derived = derive.map(([from, list], k) => ({ name: `d${k}`, from, transforms: list }));
      if (deriveId) derived.unshift({ name: 'key', from: idFrom, transforms: idTransforms });
      else columns.push({ column: 'id', keep: true, rename: 'key', transforms: idTransforms });
      return { label: 'mapping', idColumn: 'key', columns, otherColumns, derive: derived, constants: constants.map((v, k) => ({ name: `k${k}`, value: v })) };
    });
}

const mappedCase = fc
  .record({
    columns: fc.integer({ min: 2, max: 5 }),
    idAt: fc.nat(4),
    delimiter: fc.constantFrom(',', ';', '\t'),
    rows: fc.array(fc.tuple(fc.array(written, { minLength: 5, maxLength: 5 }), fc.constantFrom('\n', '\n', '\r\n'), id, fc.nat(9)), { maxLength: 30 }),
    cuts: fc.array(fc.nat(600), { minLength: 1, maxLength: 8 }),
    idType: fc.constantFrom<IdType>('thirdPartyId', 'thirdPartyId', 'pcId'),
    seed: fc.nat(),
    // Commas in values: rejected (the default), replaced (by replacements of other lengths) or dropped.
    valuePolicy: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom(' ', '', 'é', '😀').map((replacement): ValuePolicy => ({ onForbiddenChars: 'replace', replacement })) },
      { weight: 1, arbitrary: fc.constant<ValuePolicy>({ onForbiddenChars: 'drop' }) },
    ),
  })
  .chain(({ columns, idAt, delimiter, rows, cuts, idType, valuePolicy }) => {
    const names = Array.from({ length: columns }, (_unused, i) => (i === idAt % columns ? 'id' : `c${i}`));
    let text = `${names.join(delimiter)}\n`;
    for (const [cells, ending, rowId, short] of rows) {
      const full = names.map((name, i) => (name === 'id' ? rowId : cells[i]!));
      // Some rows end early: their last cells are missing, not empty.
      text += `${(short === 0 ? full.slice(0, Math.max(1, columns - 1)) : full).join(delimiter)}${ending}`;
    }
    return mappingFor(names).map(
      (mapping): Case => ({ bytes: Buffer.from(text), cuts, delimiter, maxRecordBytes: 16 * 1024 * 1024, idType, mapping, idColumn: 'key', valuePolicy }),
    );
  });

test('with a mapping, the fast lane gives what the parse step, map step and RecordEncoder give', (t) => {
  laneStats.fastRecords = 0;
  let records = 0;
  fc.assert(
    fc.property(mappedCase, (input) => {
      const lane = viaLane(input);
      t.deepEqual(lane, viaStep(input));
      records += lane.read;
    }),
    { numRuns: 2000 },
  );
  // Not vacuous: a share of the records took the lane (the cases are small and mostly adversarial).
  t.true(laneStats.fastRecords > records / 10, `${laneStats.fastRecords} of ${records} records through the lane`);
});

test('a CRM export keyed by hashed e-mail goes through the lane with the rows of the map step', (t) => {
  const lines = ['id,Email,Tier,City'];
  for (let i = 0; i < 3000; i++) lines.push(`c-${i},  User${i % 2500}@Example.COM ,${i % 5 === 0 ? '' : ' Gold '},${i % 9 === 0 ? 'São  Paulo' : 'Berlin'}`);
  const mapping: Mapping = {
    label: 'mapping',
    idColumn: 'thirdPartyId',
    columns: [
      { column: 'Email', keep: true, rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] },
      { column: 'Tier', keep: true, rename: 'tier', transforms: ['trim', 'lowercase'] },
      { column: 'City', keep: true, rename: 'city', transforms: ['collapseWhitespace'] },
      { column: 'id', keep: true, rename: 'crmId', transforms: [] },
    ],
    otherColumns: 'drop',
    derive: [],
    constants: [{ name: 'source', value: 'crm' }],
  };
  const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [700, 50_000], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId', mapping, idColumn: 'thirdPartyId' };
  const before = laneStats.fastRecords;
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.is(lane.read, 3000);
  // São  Paulo: collapseWhitespace declines non-ASCII values, so those 334 rows take the step (as does the first chunk).
  const fast = laneStats.fastRecords - before;
  t.true(fast > 2600 && fast <= 3000 - 334, `${fast} records through the lane`);
});

test('with a mapping, long values and commas under --on-forbidden-chars replace or drop stay on the lane, with the rules\' warnings', (t) => {
  const lines = ['id,Email,Address,Notes'];
  for (let i = 0; i < 2000; i++) {
    const address = i % 2 === 0 ? `"Main Street ${i}, Apt ${i % 7}"` : `Main Street ${i}`;
    const notes = i % 5 === 0 ? `"${'long, '.repeat(50)}end"` : i % 4 === 0 ? 'x'.repeat(300) : 'short';
    lines.push(`c-${i},User${i}@Example.com,${address},${notes}`);
  }
  const mapping: Mapping = {
    label: 'mapping',
    idColumn: 'thirdPartyId',
    columns: [
      { column: 'Email', keep: true, rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] },
      { column: 'Address', keep: true, rename: 'address', transforms: ['trim'] },
      { column: 'Notes', keep: true, rename: 'notes', transforms: [] },
    ],
    otherColumns: 'drop',
    derive: [],
    constants: [],
  };
  for (const valuePolicy of [{ onForbiddenChars: 'replace', replacement: '😀' }, { onForbiddenChars: 'drop' }] satisfies ValuePolicy[]) {
    const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [600, 40_000], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId', mapping, idColumn: 'thirdPartyId', valuePolicy };
    const before = laneStats.fastRecords;
    const lane = viaLane(input);
    t.deepEqual(lane, viaStep(input), valuePolicy.onForbiddenChars);
    t.true(lane.warnings.length > 1000);
    // All but the first chunk's (the parse step reads the input's start): the rest took the lane.
    t.true(laneStats.fastRecords - before > 1950, `${laneStats.fastRecords - before} of 2000 through the lane`);
  }
});

test('a mapping onto more than 30 attribute columns goes through the lane with the shapes RecordEncoder makes', (t) => {
  const names = ['id', ...Array.from({ length: 33 }, (_unused, i) => `c${i}`)];
  const lines = [names.join(',')];
  for (let r = 0; r < 400; r++) lines.push(names.map((name, i) => (name === 'id' ? `c-${r % 300}` : (r * 7 + i) % 3 === 0 ? '' : ` V${i} `)).join(','));
  const mapping: Mapping = {
    label: 'mapping',
    idColumn: 'key',
    columns: [{ column: 'id', keep: true, rename: 'key', transforms: ['uppercase'] }, ...names.slice(1, 20).map((column) => ({ column, keep: true, transforms: ['trim' as const] }))],
    otherColumns: 'keep',
    derive: [{ name: 'd', from: 'c31', transforms: ['sha256'] }],
    constants: [{ name: 'k', value: 'crm' }],
  };
  const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [900, 7000], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId', mapping, idColumn: 'key' };
  const before = laneStats.fastRecords;
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.true(laneStats.fastRecords - before > 350, `${laneStats.fastRecords - before} records through the lane`);
  t.true(lane.rows.every((row) => row.shape.includes('k')), 'every row has a value past the first 30 attributes');
});
