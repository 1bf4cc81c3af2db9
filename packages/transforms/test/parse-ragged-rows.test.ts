import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { once, parseAll } from './fixtures/parse/helpers.js';

test('a row with more cells than the header is rejected with its line and original cells; the run goes on', async (t) => {
  const { records, rejects, ctx } = await parseAll(once('id,name\n1,a\n2,b,extra,more\n3,c\n'));
  t.deepEqual(
    records.map((record) => record.fields.id),
    ['1', '3'],
  );
  t.is(rejects.length, 1);
  t.like(rejects[0], { source: 'stream', line: 3, code: ErrorCode.ROW_MALFORMED });
  t.deepEqual(rejects[0]?.fields, { id: '2', name: 'b', '#3': 'extra', '#4': 'more' });
  t.regex(rejects[0]?.message ?? '', /4 cells but the header has 2 columns/);
  t.is(ctx.counters.read, 3);
  t.is(ctx.counters.rejected, 1);
});

test('a trailing delimiter makes a longer row; the message says so', async (t) => {
  const { rejects } = await parseAll(once('id,name\n1,a,\n'));
  t.regex(rejects[0]?.message ?? '', /extra cells are empty: a trailing comma/);
});

test('a shorter row is kept; its missing cells are absent, not empty', async (t) => {
  const { records, rejects } = await parseAll(once('id,name,city\n1,a\n2\n3,,\n'));
  t.deepEqual(rejects, []);
  t.deepEqual(
    records.map((record) => record.fields),
    [{ id: '1', name: 'a' }, { id: '2' }, { id: '3', name: '', city: '' }],
  );
  t.false('city' in (records[0]?.fields ?? {}));
});

test('rejects count toward the reject-rate ceiling', async (t) => {
  const rows = Array.from({ length: 20 }, (_, i) => `${i},a${i % 2 === 0 ? ',x' : ''}`).join('\n');
  await t.throwsAsync(parseAll(once(`id,name\n${rows}\n`), {}, { maxRejectRate: 0.05, rejectRateMinRows: 10 }), {
    code: ErrorCode.REJECT_RATE_EXCEEDED,
  });
});

test('a NUL character rejects the row with ROW_NUL_BYTE naming the column', async (t) => {
  const { records, rejects } = await parseAll(once('id,name,city\n1,a\0b,c\n2,"q\0",x\n3,ok,ok\n'));
  t.deepEqual(
    records.map((record) => record.fields.id),
    ['3'],
  );
  t.deepEqual(
    rejects.map((reject) => [reject.line, reject.code]),
    [
      [2, ErrorCode.ROW_NUL_BYTE],
      [3, ErrorCode.ROW_NUL_BYTE],
    ],
  );
  t.regex(rejects[0]?.message ?? '', /NUL character in column "name"/);
});

test('NUL characters in the header are BAD_HEADER hinting at UTF-16 without a BOM', async (t) => {
  const bytes = Buffer.from('id,name\n1,a\n', 'utf16le');
  await t.throwsAsync(parseAll(once(bytes.toString('latin1'))), { code: ErrorCode.BAD_HEADER, message: /UTF-16/ });
});
