/**
 * The stats must match what is really in the file: each count is recomputed from the CSV as csv-parse reads
 * it, with the id and value rules written out independently of the generator.
 */
import test from 'ava';
import fc from 'fast-check';
import { SAMPLE_COLUMNS } from '../src/sample/index.js';
import type { SampleExportOptions, SampleExportStats } from '../src/sample/index.js';
import { generateText, parseStrict } from './sample-helpers.js';

const ID = 0;
const COMPANY = SAMPLE_COLUMNS.indexOf('company');
const NOTES = SAMPLE_COLUMNS.indexOf('notes');

function invalidKind(id: string): keyof SampleExportStats['invalidIds'] | undefined {
  if (id === '') return 'empty';
  if (id.length > 256) return 'tooLong';
  if (id.includes('+')) return 'plus';
  if (id.includes('/')) return 'slash';
  return undefined;
}

const hasForbidden = (value: string): boolean => /[,\r\n]/.test(value);

function recount(options: SampleExportOptions): { stats: SampleExportStats; recounted: SampleExportStats } {
  const { text, stats } = generateText(options);
  const [header, ...records] = parseStrict(text, options.delimiter);
  if (header === undefined) throw new Error('no header');
  const seen = new Set<string>();
  const sent = new Set<string>();
  const recounted: SampleExportStats = {
    rows: records.length, bytes: Buffer.byteLength(text), distinctIds: 0, duplicateRows: 0,
    invalidIds: { empty: 0, plus: 0, slash: 0, tooLong: 0 }, invalidIdRows: 0,
    forbiddenValueRows: { notes: 0, company: 0 }, longValueRows: 0,
    expectedDefaultOutcome: { rejected: 0, merged: 0, sent: 0 },
  };
  for (const record of records) {
    const id = record[ID] ?? '';
    if (record.some((value) => value.length > 256 && value !== id)) recounted.longValueRows++;
    const kind = invalidKind(id);
    if (kind !== undefined) {
      recounted.invalidIdRows++;
      recounted.invalidIds[kind]++;
      recounted.expectedDefaultOutcome.rejected++;
      continue;
    }
    if (seen.has(id)) recounted.duplicateRows++;
    else seen.add(id);
    if (hasForbidden(record[NOTES] ?? '')) recounted.forbiddenValueRows.notes++;
    if (hasForbidden(record[COMPANY] ?? '')) recounted.forbiddenValueRows.company++;
    if (record.some(hasForbidden)) recounted.expectedDefaultOutcome.rejected++;
    else if (sent.has(id)) recounted.expectedDefaultOutcome.merged++;
    else {
      sent.add(id);
      recounted.expectedDefaultOutcome.sent++;
    }
  }
  recounted.distinctIds = seen.size;
  return { stats, recounted };
}

test('the stats of a default export match its content', (t) => {
  const { stats, recounted } = recount({ rows: 20_000, seed: 11 });
  t.deepEqual(stats, recounted);
});

test('rows = distinct ids + duplicates + invalid ids, and the expected outcome balances', (t) => {
  const { stats } = recount({ rows: 20_000, seed: 12 });
  t.is(stats.rows, stats.distinctIds + stats.duplicateRows + stats.invalidIdRows);
  const { rejected, merged, sent } = stats.expectedDefaultOutcome;
  t.is(stats.rows, rejected + merged + sent);
});

test('the default rates land near their targets, with rejects well below the 5 % ceiling', (t) => {
  const { stats } = recount({ rows: 50_000, seed: 1 });
  const share = (count: number): number => count / stats.rows;
  t.true(share(stats.duplicateRows) > 0.015 && share(stats.duplicateRows) < 0.025, `duplicates ${share(stats.duplicateRows)}`);
  t.true(share(stats.invalidIdRows) > 0.003 && share(stats.invalidIdRows) < 0.007, `invalid ${share(stats.invalidIdRows)}`);
  const rejectShare = share(stats.expectedDefaultOutcome.rejected);
  t.true(rejectShare > 0.01 && rejectShare < 0.025, `rejects ${rejectShare}`);
  for (const [kind, count] of Object.entries(stats.invalidIds)) t.true(count > 0, `no invalid id of kind ${kind}`);
  t.true(stats.forbiddenValueRows.notes > 0 && stats.forbiddenValueRows.company > 0);
  t.true(stats.longValueRows > 0);
});

test('the stats match the content for any seed and rates', (t) => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.integer({ min: 0, max: 400 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(',', ';', '\t', '|'),
      (seed, rows, duplicateRate, invalidRate, forbiddenValueRate, delimiter) => {
        const { stats, recounted } = recount({ rows, seed, duplicateRate, invalidRate, forbiddenValueRate, delimiter });
        t.deepEqual(stats, recounted);
      },
    ),
    { numRuns: 40 },
  );
});

test('duplicates partly change and partly empty the values, so merging matters', (t) => {
  const { text } = generateText({ rows: 20_000, seed: 4 });
  const [, ...records] = parseStrict(text);
  const first = new Map<string, string[]>();
  let changed = 0;
  let emptied = 0;
  let kept = 0;
  for (const record of records) {
    const id = record[ID] ?? '';
    if (invalidKind(id) !== undefined) continue;
    const earlier = first.get(id);
    if (earlier === undefined) {
      first.set(id, record);
      continue;
    }
    for (let i = 1; i < record.length; i++) {
      if (earlier[i] === '' || record[i] === earlier[i]) kept++;
      else if (record[i] === '') emptied++;
      else changed++;
    }
  }
  t.true(changed > 100, `changed ${changed}`);
  t.true(emptied > 100, `emptied ${emptied}`);
  t.true(kept > 100, `kept ${kept}`);
});
