/**
 * The encode worker's fast lane (parallel/fast-lane.ts) against the parse step + RecordEncoder it stands in for:
 * on adversarial CSV — quotes, CR/LF/lone CR, NUL, commas in values under other delimiters, padded and
 * 38-digit ids, long and non-ASCII values, short and long rows, blank lines, invalid UTF-8, tiny record caps —
 * cut into arbitrary chunks, both must write the same row bytes with the same id lengths, shapes, lines and raw
 * ids, raise the same rejects and warnings in the same order, count the same rows and fail with the same error.
 * For both keys: thirdPartyId and pcId (whose ids the lane takes only in the shape of a Target visitor id).
 */
import test from 'ava';
import fc from 'fast-check';
import type { IdType, ValuePolicy } from '@bulkpipe/core';
import { laneStats, viaLane, viaStep } from './lane-harness.js';
import type { Case } from './lane-harness.js';

const cellPieces = fc.constantFrom('a', 'Zq', '0', '42', '-', '_', '.', '~', ' ', '+', '/', ',', ';', '\t', '"', '""', '\r', '\n', '\r\n', '\0', 'é', '東京', '😀', '%', '&', '=', "'", '*', 'x'.repeat(300), '1'.repeat(38));
const cell = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9.-]{0,12}$/) },
  { weight: 3, arbitrary: fc.array(cellPieces, { maxLength: 4 }).map((pieces) => pieces.join('')) },
);

/** A cell as a CSV writer (or a careless one) would put it: plain, quoted, or quoted badly. */
const written = fc.tuple(cell, fc.constantFrom('plain', 'plain', 'plain', 'quoted', 'after-quote')).map(([text, how]) =>
  how === 'plain' ? text : how === 'quoted' ? `"${text.replaceAll('"', '""')}"` : `"${text.replaceAll('"', '""')}"x`,
);

/** Ids of otherwise plain rows: mostly fine, some at each edge of the id rules. */
const plainId = fc.oneof(
  { weight: 5, arbitrary: fc.nat(99).map((n) => `c-${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('1'.repeat(38), '1'.repeat(37), ' c-1', 'c-1 ', 'a+b', 'x/y', 'é-1', 'a@b.c', 'a%20b', '', 'x'.repeat(256), 'x'.repeat(257), 'c\u00a01', 'tab\tid') },
  // pcIds: in Target's shapes, and just outside them (each key type gets the other's ids too).
  { weight: 3, arbitrary: fc.nat(99).map((n) => `${String(n).padStart(2, '0')}${'0f1e2d3c4b5a6978'.repeat(2)}`) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(9999), fc.nat(99)).map(([a, b]) => `${a}-${b}.${b % 7}_${b % 3}`) },
  { weight: 1, arbitrary: fc.constantFrom('A'.repeat(40), 'a'.repeat(41), 'f'.repeat(31), '12-', '12-34.5', ` ${'a'.repeat(32)}`, `${'1'.repeat(130)}-1`, '1'.repeat(127) + '-1') },
);

/** A quoted id cell: as exports that quote every cell write it, and quoted badly. */
const quotedId = fc.tuple(plainId, fc.constantFrom('quoted', 'quoted', 'quoted', 'after-quote', 'inner-quote')).map(([id, how]) =>
  how === 'quoted' ? `"${id}"` : how === 'after-quote' ? `"${id}"x` : `"${id}""q"`,
);

const csvCase = fc
  .record({
    columns: fc.integer({ min: 1, max: 5 }),
    idAt: fc.nat(4),
    prefixed: fc.boolean(),
    delimiter: fc.constantFrom(',', ';', '\t'),
    sniff: fc.boolean(),
    rows: fc.array(
      fc.oneof(
        // Mostly rows a CRM writes, some with empty cells…
        { weight: 4, arbitrary: fc.tuple(fc.array(fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 @.é-]{0,10}$/) }, { weight: 1, arbitrary: written }), { minLength: 5, maxLength: 5 }), fc.constantFrom('\n', '\n', '\r\n'), plainId) },
        // …some with their id quoted…
        { weight: 1, arbitrary: fc.tuple(fc.array(fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 @.é-]{0,10}$/) }, { weight: 1, arbitrary: written }), { minLength: 5, maxLength: 5 }), fc.constantFrom('\n', '\r\n'), quotedId) },
        // …and adversarial ones.
        { weight: 1, arbitrary: fc.tuple(fc.array(written, { minLength: 0, maxLength: 7 }), fc.constantFrom('\n', '\n', '\n', '\r\n', '\r', ''), fc.constant(undefined)) },
      ),
      { maxLength: 40 },
    ),
    bom: fc.boolean(),
    badByteAt: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
    // Early cuts: the parse step reads the first chunk (to its last LF), the lane what follows.
    cuts: fc.array(fc.nat(600), { minLength: 1, maxLength: 10 }),
    maxRecordBytes: fc.constantFrom(16 * 1024 * 1024, 16 * 1024 * 1024, 16 * 1024 * 1024, 16 * 1024 * 1024, 200, 40),
    idType: fc.constantFrom<IdType>('thirdPartyId', 'pcId'),
    // Commas in values: rejected (the default), or replaced (by replacements of other lengths) or dropped.
    valuePolicy: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom(' ', '', ';', 'é', '😀', ' - ').map((replacement): ValuePolicy => ({ onForbiddenChars: 'replace', replacement })) },
      { weight: 1, arbitrary: fc.constant<ValuePolicy>({ onForbiddenChars: 'drop' }) },
    ),
  })
  .map(({ columns, idAt, prefixed, delimiter, sniff, rows, bom, badByteAt, cuts, maxRecordBytes, idType, valuePolicy }) => {
    const names = Array.from({ length: columns }, (_unused, i) => (i === idAt % columns ? 'id' : `${prefixed && i === 0 ? 'profile.' : ''}c${i}`));
    let text = `${bom ? '\uFEFF' : ''}${names.join(delimiter)}\n`;
    for (const [cells, ending, id] of rows) {
      const full = typeof id === 'string' ? names.map((name, i) => (name === 'id' ? id : (cells[i] ?? ''))) : cells;
      text += `${full.join(delimiter)}${ending}`;
    }
    let bytes = Buffer.from(text);
    if (badByteAt !== null) bytes = Buffer.concat([bytes.subarray(0, badByteAt % (bytes.length + 1)), Buffer.from([0xff]), bytes.subarray(badByteAt % (bytes.length + 1))]);
    return { bytes, cuts, delimiter: sniff ? undefined : delimiter, maxRecordBytes, idType, valuePolicy } satisfies Case;
  });

test('the fast lane gives what the parse step and RecordEncoder give, on adversarial CSV in any chunking', (t) => {
  laneStats.fastRecords = 0;
  let records = 0;
  fc.assert(
    fc.property(csvCase, (input) => {
      const lane = viaLane(input);
      t.deepEqual(lane, viaStep(input));
      records += lane.read;
    }),
    { numRuns: 3000 },
  );
  // Not vacuous: a good share of the records took the lane (the rest are the adversarial ones).
  t.true(laneStats.fastRecords > records / 5, `${laneStats.fastRecords} of ${records} records through the lane`);
});

test('a plain export goes through the lane with the same rows as the step', (t) => {
  const lines = ['id,email,city,notes'];
  for (let i = 0; i < 3000; i++) lines.push(`c-${i % 2500},user${i}@example.com,${i % 7 === 0 ? '' : 'Zürich'},${i % 11 === 0 ? '"quoted, with comma"' : 'plain note'}`);
  const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [1000, 70_000, 70_001, 123_457], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId' };
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.is(lane.read, 3000);
  t.is(lane.rows.length, 3000 - 273); // the quoted notes hold a comma: rejected
});

test('an export that quotes every cell (ids too, CRLF) goes through the lane with the same rows as the step', (t) => {
  const lines = ['"id","email","city","notes"'];
  for (let i = 0; i < 3000; i++) lines.push(`"c-${i % 2500}","user${i}@example.com","${i % 7 === 0 ? '' : 'Zürich'}","${i % 11 === 0 ? 'said ""hi""' : 'plain note'}"`);
  const input: Case = { bytes: Buffer.from(`${lines.join('\r\n')}\r\n`), cuts: [1000, 70_000, 70_001, 123_457], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId' };
  const before = laneStats.fastRecords;
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.is(lane.rows.length, 3000);
  // Regression: a quoted id sent every record to the step (an all-quoted 1M-row export took 4.6 s instead of 1.6 s).
  t.true(laneStats.fastRecords - before > 2900, `${laneStats.fastRecords - before} of 3000 through the lane`);
});

test('values over 256 characters stay on the lane with the warning the rules give, counted as a string counts them', (t) => {
  const long = [
    'x'.repeat(300), // 300 characters: warned
    'é'.repeat(200), // 400 bytes, 200 characters: not warned
    '😀'.repeat(130), // 520 bytes, 260 UTF-16 code units: warned
    `"${'say ""hi"" '.repeat(30)}"`, // quoted, 300 characters once the "" are one: warned
    'a'.repeat(256), // exactly 256: not warned
  ];
  const lines = ['id,notes,city'];
  for (let i = 0; i < 2000; i++) lines.push(`c-${i},${i % 3 === 0 ? long[i % long.length] : 'short'},${long[(i + 1) % long.length]}`);
  const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [800, 60_000], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId' };
  const before = laneStats.fastRecords;
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.true(lane.warnings.length > 1000);
  // Regression: a value over 256 bytes sent its record to the step (10 % of the rows of an export with long notes: +35 % time).
  t.true(laneStats.fastRecords - before > 1990, `${laneStats.fastRecords - before} of 2000 through the lane`);
});

const commaPolicies: [string, ValuePolicy][] = [
  ['replace by a space', { onForbiddenChars: 'replace' }],
  ['replace by an emoji', { onForbiddenChars: 'replace', replacement: '😀' }],
  ['replace by nothing', { onForbiddenChars: 'replace', replacement: '' }],
  ['drop', { onForbiddenChars: 'drop' }],
];

for (const [name, valuePolicy] of commaPolicies) {
  test(`commas in values stay on the lane under --on-forbidden-chars ${name}, with the rules' warnings (\`,\` and \`;\` delimiters)`, (t) => {
    for (const delimiter of [',', ';']) {
      const cell = (text: string): string => (delimiter === ',' && text.includes(',') ? `"${text}"` : text);
      const lines = [['id', 'address', 'notes'].join(delimiter)];
      for (let i = 0; i < 2000; i++) {
        const address = i % 2 === 0 ? `Main Street ${i}, Apt ${i % 7}` : `Main Street ${i}`;
        const notes = i % 5 === 0 ? `${'long, '.repeat(50)}end` : i % 3 === 0 ? ',' : 'short';
        lines.push([`c-${i}`, cell(address), cell(notes)].join(delimiter));
      }
      const input: Case = { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts: [700, 50_000], delimiter, maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId', valuePolicy };
      const before = laneStats.fastRecords;
      const lane = viaLane(input);
      t.deepEqual(lane, viaStep(input), delimiter);
      t.true(lane.warnings.length > 1000, delimiter);
      // Regression: a comma in a value sent its record to the step under every policy (a third of an export's rows with
      // a comma in the address, policy replace: 3.4 s instead of ~1.7 s).
      t.true(laneStats.fastRecords - before > 1990, `${delimiter}: ${laneStats.fastRecords - before} of 2000 through the lane`);
    }
  });
}

test('a pcId export in Target’s shapes goes through the lane; ids out of shape go to the step, which warns', (t) => {
  const lines = ['pcid,tier'];
  for (let i = 0; i < 2000; i++) {
    const id = i % 100 === 0 ? `visitor-${i}` : i % 2 === 0 ? `${String(i).padStart(4, '0')}${'0f1e2d3c4b5a6978'.repeat(2)}` : `${i}-${i * 7}.28_0`;
    lines.push(`${id},${i % 3 === 0 ? '' : 'gold'}`);
  }
  const bytes = Buffer.from(`${lines.join('\n')}\n`.replace('pcid,', 'id,'));
  const input: Case = { bytes, cuts: [500, 20_000], delimiter: undefined, maxRecordBytes: 16 * 1024 * 1024, idType: 'pcId' };
  const before = laneStats.fastRecords;
  const lane = viaLane(input);
  t.deepEqual(lane, viaStep(input));
  t.is(lane.read, 2000);
  t.is(lane.warnings.length, 20, 'the ids out of shape');
  t.true(laneStats.fastRecords - before > 1900, `${laneStats.fastRecords - before} records through the lane`);
});

/** Headers wider than a shape's bit mask (MASK_COLUMNS attributes): the rest of the shape key is a list. */
const wideCase = fc
  .record({
    columns: fc.integer({ min: 28, max: 36 }),
    idAt: fc.nat(35),
    rows: fc.array(fc.tuple(fc.array(fc.constantFrom('', '', 'v', 'Zürich', 'a b', '"q"', '"q ""r"""'), { minLength: 36, maxLength: 36 }), fc.nat(99)), { maxLength: 30 }),
    cuts: fc.array(fc.nat(800), { minLength: 1, maxLength: 6 }),
  })
  .map(({ columns, idAt, rows, cuts }): Case => {
    const names = Array.from({ length: columns }, (_unused, i) => (i === idAt % columns ? 'id' : `c${i}`));
    const lines = [names.join(',')];
    for (const [cells, n] of rows) lines.push(names.map((name, i) => (name === 'id' ? `c-${n}` : cells[i]!)).join(','));
    return { bytes: Buffer.from(`${lines.join('\n')}\n`), cuts, delimiter: ',', maxRecordBytes: 16 * 1024 * 1024, idType: 'thirdPartyId' };
  });

test('headers of more than 30 attribute columns go through the lane with the shapes RecordEncoder makes', (t) => {
  const before = laneStats.fastRecords;
  let records = 0;
  fc.assert(
    fc.property(wideCase, (input) => {
      const lane = viaLane(input);
      t.deepEqual(lane, viaStep(input));
      records += lane.read;
    }),
    { numRuns: 300 },
  );
  t.true(laneStats.fastRecords - before > records / 3, `${laneStats.fastRecords - before} of ${records} records through the lane`);
});
