import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { ErrorCode, WarningCode, isBulkpipeError } from '@bulkpipe/core';
import type { InputRecord, ProfileRow, RejectedRow, RowWarning } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { createValidateStep, validateStage } from '../src/validate/index.js';
import type { ValidateOptions } from '../src/validate/index.js';

function input(header: string[], rows: string[][], source = 'crm.csv'): InputRecord[] {
  const columns = Object.freeze([...header]);
  return rows.map((cells, index) => {
    const fields: Record<string, string> = {};
    // defineProperty, as a parser must: a plain assignment to `__proto__` would not create the key.
    cells.forEach((cell, i) => Object.defineProperty(fields, header[i]!, { value: cell, enumerable: true, writable: true, configurable: true }));
    return { source, line: index + 2, fields, columns };
  });
}

function run(options: ValidateOptions, records: InputRecord[]) {
  const ctx = new RunContext({ enforceRejectRate: false });
  const rejects: RejectedRow[] = [];
  const warnings: RowWarning[] = [];
  ctx.events.on('reject', (row) => rejects.push(row));
  ctx.events.on('warning', (warning) => warnings.push(warning));
  const rows = runStep(createValidateStep(options, ctx), records);
  return { rows, rejects, warnings, ctx };
}

test('a good row becomes a ProfileRow: id apart, non-empty values under bare names, its origin', (t) => {
  const { rows, rejects } = run(
    { idColumn: 'customerId' },
    input(['customerId', 'profile.loyaltyTier', 'city', 'ltv'], [['c-000017', 'gold', 'München', '1200.50'], ['c-000018', '', 'Lyon']]),
  );
  t.deepEqual(rejects, []);
  t.deepEqual(rows, [
    { id: 'c-000017', attributes: { loyaltyTier: 'gold', city: 'München', ltv: '1200.50' }, origins: [{ source: 'crm.csv', line: 2 }] },
    { id: 'c-000018', attributes: { city: 'Lyon' }, origins: [{ source: 'crm.csv', line: 3 }] },
  ]);
});

test('values with % & + = pass unchanged (the batch encoder percent-encodes them)', (t) => {
  const { rows } = run({ idColumn: 'id' }, input(['id', 'v'], [['a', '50% & +1 = x']]));
  t.is(rows[0]!.attributes.v, '50% & +1 = x');
});

const badIds: Array<[string, string, ErrorCode]> = [
  ['an empty id', '', ErrorCode.ID_EMPTY],
  ['a 257-char id', 'x'.repeat(257), ErrorCode.ID_TOO_LONG],
  ['an id with +', 'a+b', ErrorCode.ID_FORBIDDEN_CHAR],
  ['an id with /', 'a/b', ErrorCode.ID_FORBIDDEN_CHAR],
  ['an id with ,', 'a,b', ErrorCode.ID_FORBIDDEN_CHAR],
  ['an ECID', '1'.repeat(38), ErrorCode.ID_ECID],
];
for (const [title, id, code] of badIds) {
  test(`${title} rejects the row with ${code}, its line, id and fields, and emits nothing`, (t) => {
    const records = input(['id', 'city'], [[id, 'Lyon']]);
    const { rows, rejects, ctx } = run({ idColumn: 'id' }, records);
    t.deepEqual(rows, []);
    t.is(rejects.length, 1);
    t.like(rejects[0], { source: 'crm.csv', line: 2, code, fields: { id, city: 'Lyon' } });
    t.regex(rejects[0]!.message, /column "id"/);
    t.is(ctx.counters.rejected, 1);
  });
}

test('a row too short to hold the id is rejected ID_EMPTY', (t) => {
  const { rows, rejects } = run({ idColumn: 'id' }, input(['city', 'id'], [['Lyon']]));
  t.deepEqual(rows, []);
  t.is(rejects[0]!.code, ErrorCode.ID_EMPTY);
  t.regex(rejects[0]!.message, /row ends before column "id"/);
  t.false('id' in rejects[0]!);
});

test('the 256-char id passes; pcId 38 digits is rejected as an ECID with the explanation', (t) => {
  t.is(run({ idColumn: 'id' }, input(['id'], [['x'.repeat(256)]])).rows.length, 1);
  const { rejects } = run({ idColumn: 'tnt', idType: 'pcId' }, input(['tnt'], [['0'.repeat(38)]]));
  t.is(rejects[0]!.code, ErrorCode.ID_ECID);
  t.regex(rejects[0]!.message, /looks like an ECID \(marketingCloudVisitorId\)/);
});

test('by default a comma, CR or LF in a value rejects the row, naming the column', (t) => {
  for (const value of ['a,b', 'a\nb', 'a\rb']) {
    const { rows, rejects } = run({ idColumn: 'id' }, input(['id', 'note'], [['c1', value]]));
    t.deepEqual(rows, []);
    t.like(rejects[0], { code: ErrorCode.VALUE_FORBIDDEN_CHAR, id: 'c1', line: 2 });
    t.regex(rejects[0]!.message, /column "note"/);
  }
});

test('replace policy sends the replaced value with a warning on the row', (t) => {
  const { rows, warnings } = run({ idColumn: 'id', valuePolicy: { onForbiddenChars: 'replace', replacement: ';' } }, input(['id', 'note'], [['c1', 'a,b\nc']]));
  t.is(rows[0]!.attributes.note, 'a;b;c');
  t.like(warnings[0], { code: WarningCode.VALUE_CHARS_REPLACED, line: 2, id: 'c1', source: 'crm.csv' });
});

test('drop policy leaves the attribute out, with a warning', (t) => {
  const { rows, warnings } = run({ idColumn: 'id', valuePolicy: { onForbiddenChars: 'drop' } }, input(['id', 'note', 'city'], [['c1', 'a,b', 'Lyon']]));
  t.deepEqual(rows[0]!.attributes, { city: 'Lyon' });
  t.is(warnings[0]!.code, WarningCode.VALUE_DROPPED);
});

test('a lone surrogate in a value rejects the row VALUE_UNENCODABLE', (t) => {
  const { rejects } = run({ idColumn: 'id' }, input(['id', 'v'], [['c1', 'x\uD800']]));
  t.is(rejects[0]!.code, ErrorCode.VALUE_UNENCODABLE);
});

test('row warnings: a padded id and a long value warn, the row is still sent as is', (t) => {
  const { rows, warnings } = run({ idColumn: 'id' }, input(['id', 'bio'], [[' c1', 'b'.repeat(300)]]));
  t.is(rows[0]!.id, ' c1');
  t.deepEqual(
    warnings.map((w) => [w.code, w.line, w.id]),
    [
      [WarningCode.ID_WHITESPACE, 2, ' c1'],
      [WarningCode.VALUE_LONG, 2, ' c1'],
    ],
  );
});

test('a rejected row raises no warnings, only its reject', (t) => {
  const { warnings, rejects } = run({ idColumn: 'id' }, input(['id', 'bio', 'note'], [[' c1', 'b'.repeat(300), 'a,b']]));
  t.deepEqual(warnings, []);
  t.is(rejects.length, 1);
});

test('the profile. prefix warning is said once per header, not per row', (t) => {
  const records = [...input(['id', 'profile.city'], [['a', 'x'], ['b', 'y'], ['c', 'z']]), ...input(['id', 'profile.city'], [['d', 'w']], 'second.csv')];
  const { rows, warnings } = run({ idColumn: 'id' }, records);
  t.is(rows.length, 4);
  t.deepEqual(
    warnings.map((w) => [w.code, w.source]),
    [
      [WarningCode.ATTRIBUTE_PREFIX_STRIPPED, 'crm.csv'],
      [WarningCode.ATTRIBUTE_PREFIX_STRIPPED, 'second.csv'],
    ],
  );
  t.regex(warnings[0]!.message, /^header: column "profile.city" is sent as attribute "city"/);
});

test('a missing id column is fatal, lists the columns and suggests a near match', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['CustomerID', 'city'], /Did you mean "CustomerID"\?/],
    [['profile.customerId', 'city'], /Did you mean "profile.customerId"\?/],
    [['customer_id', 'city'], /Did you mean "customer_id"\?/],
  ];
  for (const [header, hint] of cases) {
    const error = t.throws(() => run({ idColumn: 'customerId' }, input(header, [['1', 'x']])));
    t.true(isBulkpipeError(error, ErrorCode.ID_COLUMN_MISSING));
    t.regex(error.message, /Id column "customerId" is not in the header of crm.csv/);
    t.regex(error.message, hint);
    t.regex(error.message, /Columns: .*"city"/);
  }
  const none = t.throws(() => run({ idColumn: 'customerId' }, input(['email'], [['x']])));
  t.notRegex(none.message, /Did you mean/);
});

test('the column list of a 50,000-column header is cut short', (t) => {
  const header = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
  const error = t.throws(() => run({ idColumn: 'id' }, input(header, [['x']])));
  t.regex(error.message, /… and 49970 more$/);
  t.true(error.message.length < 1000);
});

test('a header-level bad attribute name is a fatal BAD_HEADER naming the column', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['id', 'n'.repeat(129)], /129 characters/],
    [['id', 'profile.'], /empty after stripping/],
    [['id', 'city', 'profile.city'], /Columns "city" and "profile.city" .* both sent as attribute "city"/],
    [['id', 'pcId'], /attribute "pcId", which is a batch key name/],
  ];
  for (const [header, message] of cases) {
    const error = t.throws(() => run({ idColumn: 'id' }, input(header, [['x', 'y', 'z']])));
    t.true(isBulkpipeError(error, ErrorCode.BAD_HEADER), error.message);
    t.regex(error.message, message);
  }
});

test('a column named __proto__ stays a plain attribute', (t) => {
  const { rows } = run({ idColumn: 'id' }, input(['id', '__proto__'], [['a', 'x']]));
  t.deepEqual(Object.keys(rows[0]!.attributes), ['__proto__']);
  t.is(rows[0]!.attributes['__proto__'], 'x');
});

test('regression: a __proto__ header on a plain-object fields reads as absent, not as the prototype', (t) => {
  const columns = Object.freeze(['id', '__proto__']);
  const { rows, rejects } = run({ idColumn: 'id' }, [{ source: 's', line: 2, fields: { id: 'a' }, columns }]);
  t.deepEqual(rejects, []);
  t.deepEqual(rows[0]!.attributes, {});
});

test('invalid options are refused with INVALID_OPTION', (t) => {
  const ctx = new RunContext();
  for (const options of [{ idColumn: '' }, { idColumn: 'id', idType: 'ecid' }, { idColumn: 'id', valuePolicy: { onForbiddenChars: 'escape' } }]) {
    const error = t.throws(() => createValidateStep(options as ValidateOptions, ctx));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_OPTION));
  }
});

test('validateStage works inside a pipeline on row chunks', async (t) => {
  const ctx = new RunContext({ enforceRejectRate: false });
  const records = input(['id', 'city'], [['a', 'x'], ['b+', 'y'], ['c', 'z']]);
  const out: ProfileRow[] = [];
  await pipeline(
    Readable.from([records.slice(0, 2), records.slice(2)]),
    validateStage({ idColumn: 'id' }, ctx),
    new Writable({
      objectMode: true,
      write(chunk: ProfileRow[], _encoding, callback) {
        out.push(...chunk);
        callback();
      },
    }),
  );
  t.deepEqual(
    out.map((row) => row.id),
    ['a', 'c'],
  );
  t.is(ctx.counters.rejected, 1);
});
