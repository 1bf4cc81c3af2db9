import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { chunked, once, parseAll, parseFields } from './fixtures/parse/helpers.js';

test('quoted fields keep delimiters, doubled quotes, CR and LF as data', async (t) => {
  const csv = 'id,note\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\n4,"crlf\r\ninside"\n5,""\n';
  t.deepEqual(await parseFields(once(csv)), [
    { id: '1', note: 'a,b' },
    { id: '2', note: 'say "hi"' },
    { id: '3', note: 'two\nlines' },
    { id: '4', note: 'crlf\r\ninside' },
    { id: '5', note: '' },
  ]);
});

test('a quote inside an unquoted field is a literal character', async (t) => {
  t.deepEqual(await parseFields(once('id,size\n1,5" screen\n2,a"b"c\n')), [
    { id: '1', size: '5" screen' },
    { id: '2', size: 'a"b"c' },
  ]);
});

test('text after a closing quote rejects the row as ROW_MALFORMED and the run goes on', async (t) => {
  const { records, rejects, ctx } = await parseAll(once('id,name\n1,"Bob"by\n2,ok\n'));
  t.deepEqual(records.map((r) => r.fields), [{ id: '2', name: 'ok' }]);
  t.is(rejects.length, 1);
  t.is(rejects[0]?.code, ErrorCode.ROW_MALFORMED);
  t.is(rejects[0]?.line, 2);
  t.regex(rejects[0]?.message ?? '', /closing quote in column "name"/);
  t.deepEqual(rejects[0]?.fields, { id: '1', name: 'Bobby' });
  t.is(ctx.counters.read, 2);
});

test('a quoted field may hold the whole record and end at the end of input without a newline', async (t) => {
  t.deepEqual(await parseFields(once('a,b\n"x","y"')), [{ a: 'x', b: 'y' }]);
  t.deepEqual(await parseFields(once('a,b\n"x",')), [{ a: 'x', b: '' }]);
});

test('a doubled quote split across chunks is still one quote', async (t) => {
  const csv = 'a,b\n"x""y",z\n';
  const cut = csv.indexOf('""') + 1;
  t.deepEqual(await parseFields(chunked(csv, [cut])), [{ a: 'x"y', b: 'z' }]);
  t.deepEqual(await parseFields(chunked(csv, 1)), [{ a: 'x"y', b: 'z' }]);
});

test('a closing quote at the end of a chunk followed by a delimiter in the next one', async (t) => {
  const csv = 'a,b\n"x",y\n';
  t.deepEqual(await parseFields(chunked(csv, [csv.indexOf('",') + 1])), [{ a: 'x', b: 'y' }]);
});
