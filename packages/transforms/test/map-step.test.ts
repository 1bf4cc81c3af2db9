import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { ErrorCode, isBulkpipeError } from '@bulkpipe/core';
import type { InputRecord, ProfileRow } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { chainSteps, runStep } from '../src/step.js';
import { createMapStep, mapStage, parseMapping } from '../src/map/index.js';
import { createValidateStep } from '../src/validate/index.js';

const HEADER = Object.freeze(['Customer ID', 'E-mail', 'Loyalty Tier', 'City', 'Phone']);

function record(cells: string[], line = 2, columns: readonly string[] = HEADER, source = 'crm.csv'): InputRecord {
  const fields: Record<string, string> = {};
  cells.forEach((cell, i) => (fields[columns[i]!] = cell));
  return { source, line, fields, columns };
}

function map(json: unknown, records: InputRecord[]): InputRecord[] {
  return runStep(createMapStep(parseMapping(json), new RunContext()), records);
}

const ROW = ['c-1', ' User@Example.com ', 'Gold', '  New   York ', '555'];

test('an empty mapping copies every column', (t) => {
  const [out] = map({}, [record(ROW)]);
  t.deepEqual(out!.fields, record(ROW).fields);
  t.deepEqual(out!.columns, HEADER);
  t.like(out, { source: 'crm.csv', line: 2 });
});

test('listed columns drop (false), keep (true) and rename', (t) => {
  const [out] = map({ columns: { Phone: false, 'Loyalty Tier': { rename: 'loyaltyTier' }, City: true } }, [record(ROW)]);
  t.deepEqual(out!.columns, ['Customer ID', 'E-mail', 'loyaltyTier', 'City']);
  t.deepEqual(out!.fields, { 'Customer ID': 'c-1', 'E-mail': ' User@Example.com ', loyaltyTier: 'Gold', City: '  New   York ' });
});

test('otherColumns "drop" keeps only the listed columns', (t) => {
  const [out] = map({ otherColumns: 'drop', columns: { 'Customer ID': { rename: 'thirdPartyId' }, City: true } }, [record(ROW)]);
  t.deepEqual(out!.fields, { thirdPartyId: 'c-1', City: '  New   York ' });
});

test('value transforms run in the order listed', (t) => {
  const [out] = map(
    {
      columns: {
        City: { transforms: ['trim', 'collapseWhitespace', 'uppercase'] },
        'E-mail': { transforms: ['trim', 'lowercase'] },
        'Loyalty Tier': { transforms: ['lowercase', 'sha256'] },
      },
    },
    [record(ROW)],
  );
  t.is(out!.fields.City, 'NEW YORK');
  t.is(out!.fields['E-mail'], 'user@example.com');
  // lowercase before sha256: the digest of "gold" (printf gold | sha256sum), not of "Gold"
  t.is(out!.fields['Loyalty Tier'], '24d7f03d8dc3c3666969e6fa5bb1fac4736d3f1353c28307ed51b320f9dc42d3');
});

test('the PII recipe: trim, lowercase, sha256 of an e-mail gives the known digest and no raw address remains', (t) => {
  const [out] = map(
    { idColumn: 'thirdPartyId', columns: { 'E-mail': { rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] }, 'Customer ID': false } },
    [record(ROW)],
  );
  t.is(out!.fields.thirdPartyId, 'b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514');
  t.false(JSON.stringify(out).toLowerCase().includes('example.com'));
});

test('derive computes a new column from an input value before that column’s own transforms', (t) => {
  const [out] = map(
    {
      columns: { 'E-mail': false },
      derive: { emailSha256: { from: 'E-mail', transforms: ['trim', 'lowercase', 'sha256'] }, emailCopy: { from: 'E-mail' } },
    },
    [record(ROW)],
  );
  t.deepEqual(out!.columns, ['Customer ID', 'Loyalty Tier', 'City', 'Phone', 'emailSha256', 'emailCopy']);
  t.is(out!.fields.emailSha256, 'b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514');
  t.is(out!.fields.emailCopy, ' User@Example.com ');
  t.false('E-mail' in out!.fields);
});

test('constants are added to every row, after the mapped columns', (t) => {
  const out = map({ constants: { crmSource: 'salesforce', segment: 'b2c' } }, [record(ROW), record(ROW, 3)]);
  for (const row of out) t.like(row.fields, { crmSource: 'salesforce', segment: 'b2c' });
  t.deepEqual(out[0]!.columns.slice(-2), ['crmSource', 'segment']);
});

test('empty values stay empty through every transform: hashing "" would give unrelated rows one id', (t) => {
  const [out] = map({ columns: { 'E-mail': { transforms: ['trim', 'lowercase', 'sha256'] } } }, [record(['c-1', '   ', 'Gold', '', ''])]);
  t.is(out!.fields['E-mail'], '');
});

test('cells missing from a short row stay missing, also for derived columns', (t) => {
  const [out] = map({ derive: { hashedPhone: { from: 'Phone', transforms: ['sha256'] } } }, [record(['c-1', 'a@b.c'])]);
  t.deepEqual(out!.fields, { 'Customer ID': 'c-1', 'E-mail': 'a@b.c' });
  t.is(out!.columns.length, 6);
});

test('records of one input share one output header array; another input gets its own', (t) => {
  const other = Object.freeze(['Customer ID', 'City']);
  const out = map({ columns: { City: { rename: 'city' } } }, [record(ROW), record(ROW, 3), record(['c-2', 'Lyon'], 2, other, 'b.csv')]);
  t.is(out[0]!.columns, out[1]!.columns);
  t.true(Object.isFrozen(out[0]!.columns));
  t.not(out[0]!.columns, out[2]!.columns);
  t.deepEqual(out[2]!.columns, ['Customer ID', 'city']);
});

test('a referenced column absent from the header is fatal, naming the column and the header', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ columns: { Mobile: false } }, /refers to column "Mobile" \(columns\["Mobile"\]\), which is not in the header of crm\.csv\. Columns: "Customer ID", "E-mail"/],
    [{ derive: { h: { from: 'Email' } } }, /refers to column "Email" \(derive\["h"\]\.from\)/],
  ];
  for (const [json, message] of cases) {
    const error = t.throws(() => map(json, [record(ROW)]));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_MAPPING));
    t.regex(error.message, message);
  }
});

test('two output columns with one name are fatal, naming both', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ columns: { City: { rename: 'Phone' } } }, /two columns the name "Phone" for crm\.csv: input column "City" and input column "Phone"/],
    [{ derive: { City: { from: 'E-mail' } } }, /input column "City" and derived column "City"/],
    [{ constants: { Phone: 'x' } }, /input column "Phone" and constant "Phone"/],
  ];
  for (const [json, message] of cases) {
    const error = t.throws(() => map(json, [record(ROW)]));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_MAPPING));
    t.regex(error.message, message);
  }
});

test('the caller’s records are not modified', (t) => {
  const input = record(ROW);
  const before = JSON.stringify(input);
  map({ columns: { City: { transforms: ['trim'] } }, constants: { x: 'y' } }, [input]);
  t.is(JSON.stringify(input), before);
});

test('map then validate: the hashed e-mail becomes the thirdPartyId, the rest bare attributes', (t) => {
  const ctx = new RunContext();
  const mapping = parseMapping({
    idColumn: 'thirdPartyId',
    otherColumns: 'drop',
    columns: { 'E-mail': { rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] }, 'Loyalty Tier': { rename: 'profile.loyaltyTier' } },
    constants: { crmSource: 'salesforce' },
  });
  const step = chainSteps(createMapStep(mapping, ctx), createValidateStep({ idColumn: mapping.idColumn!, idType: mapping.idType ?? 'thirdPartyId' }, ctx));
  const rows: ProfileRow[] = runStep(step, [record(ROW)]);
  t.deepEqual(rows, [
    {
      id: 'b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514',
      attributes: { loyaltyTier: 'Gold', crmSource: 'salesforce' },
      origins: [{ source: 'crm.csv', line: 2 }],
    },
  ]);
});

test('mapStage works inside a pipeline on row chunks', async (t) => {
  const out: InputRecord[] = [];
  await pipeline(
    Readable.from([[record(ROW), record(ROW, 3)], [record(ROW, 4)]]),
    mapStage(parseMapping({ otherColumns: 'drop', columns: { City: { transforms: ['trim'] } } }), new RunContext()),
    new Writable({
      objectMode: true,
      write(chunk: InputRecord[], _encoding, callback) {
        out.push(...chunk);
        callback();
      },
    }),
  );
  t.deepEqual(
    out.map((r) => [r.line, r.fields.City]),
    [
      [2, 'New   York'],
      [3, 'New   York'],
      [4, 'New   York'],
    ],
  );
});
