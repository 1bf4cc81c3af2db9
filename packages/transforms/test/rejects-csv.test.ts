import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { ErrorCode } from '@bulkpipe/core';
import type { RejectedRow } from '@bulkpipe/core';
import { attachRejectsWriter } from '../src/rejects/attach-rejects-writer.js';
import { neutraliseCell } from '../src/rejects/neutralise-cell.js';
import { RejectsCsvWriter } from '../src/rejects/rejects-csv-writer.js';
import { RunContext } from '../src/run-context.js';

const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'bulkpipe-rejects-')), 'rejects.csv');
const readCsv = (path: string): string[][] => parse(readFileSync(path), { relax_column_count: false }) as string[][];
const reject = (line: number, fields?: Record<string, string>, id = `c-${line}`): RejectedRow => ({
  source: 'in.csv',
  line,
  id,
  code: ErrorCode.ID_EMPTY,
  message: 'id is empty',
  ...(fields ? { fields } : {}),
});

test('columns are line,id,code,message,source, the first reject’s fields, then other_fields', async (t) => {
  const path = tempFile();
  const writer = new RejectsCsvWriter(path);
  writer.write(reject(2, { id: '', email: 'a@example.com', note: 'has, comma and "quotes"\nand a newline' }));
  writer.write(reject(5, { email: 'b@example.com', id: 'x' }));
  await writer.close();
  t.deepEqual(readCsv(path), [
    ['line', 'id', 'code', 'message', 'source', 'id', 'email', 'note', 'other_fields'],
    ['2', 'c-2', ErrorCode.ID_EMPTY, 'id is empty', 'in.csv', '', 'a@example.com', 'has, comma and "quotes"\nand a newline', ''],
    ['5', 'c-5', ErrorCode.ID_EMPTY, 'id is empty', 'in.csv', 'x', 'b@example.com', '', ''],
  ]);
});

test('fields under another header go to other_fields as JSON; rejects without fields leave field cells empty', async (t) => {
  const path = tempFile();
  const writer = new RejectsCsvWriter(path, { fieldNames: ['id', 'email'] });
  writer.write(reject(2, { id: '1', email: 'e', city: 'Lyon' }));
  writer.write({ source: 'in.csv', line: 7, id: '9', code: ErrorCode.DUPLICATE_CONFLICT, message: 'conflict' });
  await writer.close();
  const rows = readCsv(path);
  t.deepEqual(rows[1]?.slice(5), ['1', 'e', '{"city":"Lyon"}']);
  t.deepEqual(rows[2], ['7', '9', ErrorCode.DUPLICATE_CONFLICT, 'conflict', 'in.csv', '', '', '']);
});

test('rejects without fields wait for the first one with fields to set the columns', async (t) => {
  const path = tempFile();
  const writer = new RejectsCsvWriter(path);
  writer.write(reject(9));
  writer.write(reject(3, { id: '', tier: 'gold' }));
  await writer.close();
  const rows = readCsv(path);
  t.deepEqual(rows[0], ['line', 'id', 'code', 'message', 'source', 'id', 'tier', 'other_fields']);
  t.deepEqual(rows.slice(1).map((row) => row[0]), ['9', '3']);
});

test('cells a spreadsheet would run as formulas are neutralised, everything else round-trips exactly', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 10 }), async (cells) => {
      const path = tempFile();
      const writer = new RejectsCsvWriter(path, { fieldNames: ['a'] });
      for (const [i, [id, value]] of cells.entries()) writer.write(reject(i + 2, { a: value }, id));
      await writer.close();
      const rows = readCsv(path).slice(1);
      assert.deepEqual(rows.map((row) => [row[1], row[5]]), cells.map(([id, value]) => [neutraliseCell(id), neutraliseCell(value)]));
      for (const row of rows) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
    }),
    { numRuns: 100 },
  );
  t.is(neutraliseCell('=HYPERLINK("http://x")'), `'=HYPERLINK("http://x")`);
  t.is(neutraliseCell('-5'), "'-5");
  t.is(neutraliseCell('\tcmd'), "'\tcmd");
  t.is(neutraliseCell('a=b'), 'a=b');
});

test('memory stays bounded: the file grows while rejects arrive, not only at close', async (t) => {
  const path = tempFile();
  const writer = new RejectsCsvWriter(path, { fieldNames: ['id'], maxBufferedBytes: 1_024 });
  for (let line = 2; line < 500; line++) writer.write(reject(line, { id: '' }));
  t.true(statSync(path).size > 10_000);
  await writer.close();
  t.is(readCsv(path).length, 499);
  t.is(writer.written, 498);
});

test('a run with no rejects still gets a rejects file with its header', async (t) => {
  const path = tempFile();
  await new RejectsCsvWriter(path, { fieldNames: ['id', 'email'] }).close();
  t.is(readFileSync(path, 'utf8'), 'line,id,code,message,source,id,email,other_fields\n');
});

test('attached to a run context, every reject of the run is written, until detached', async (t) => {
  const path = tempFile();
  const ctx = new RunContext({ maxRejectRate: 1 });
  const writer = new RejectsCsvWriter(path);
  const detach = attachRejectsWriter(ctx, writer);
  ctx.counters.read = 3;
  ctx.reject(reject(2, { id: '' }));
  ctx.reject(reject(3, { id: '' }));
  detach();
  ctx.reject(reject(4, { id: '' }));
  await writer.close();
  t.deepEqual(readCsv(path).slice(1).map((row) => row[0]), ['2', '3']);
});

test('an unwritable path fails at once with OUTPUT_UNWRITABLE; a reject after close is an error', async (t) => {
  t.throws(() => new RejectsCsvWriter(join(tempFile(), 'no', 'such', 'dir.csv')), { code: ErrorCode.OUTPUT_UNWRITABLE });
  const writer = new RejectsCsvWriter(tempFile());
  await writer.close();
  t.throws(() => writer.write(reject(2)), { code: ErrorCode.OUTPUT_UNWRITABLE });
});
