import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { chunked, once, parseAll } from './fixtures/parse/helpers.js';

test('duplicate header names are BAD_HEADER naming the positions', async (t) => {
  const error = await t.throwsAsync(parseAll(once('id,email,name,email\n1,a,b,c\n')), { code: ErrorCode.BAD_HEADER });
  t.regex(error?.message ?? '', /column "email" appears at positions 2, 4/);
  t.is((error as { context?: { line?: number } }).context?.line, 1);
});

test('empty header cells are BAD_HEADER naming the positions; a trailing delimiter is called out', async (t) => {
  const inner = await t.throwsAsync(parseAll(once('id,,name,\n1,2,3,4\n')), { code: ErrorCode.BAD_HEADER });
  t.regex(inner?.message ?? '', /empty column name at positions 2, 4/);
  const trailing = await t.throwsAsync(parseAll(once('id;name;\n')), { code: ErrorCode.BAD_HEADER });
  t.regex(trailing?.message ?? '', /position 3 \(a trailing semicolon/);
});

test('an empty input is EMPTY_INPUT: no bytes, only blank lines, only a BOM', async (t) => {
  for (const input of ['', '\n\r\n\n', '\uFEFF']) {
    await t.throwsAsync(parseAll(once(input)), { code: ErrorCode.EMPTY_INPUT });
  }
  await t.throwsAsync(parseAll(chunked(Buffer.from([0xef, 0xbb, 0xbf]), 1)), { code: ErrorCode.EMPTY_INPUT });
  async function* nothing(): AsyncGenerator<Uint8Array> {}
  await t.throwsAsync(parseAll(nothing()), { code: ErrorCode.EMPTY_INPUT });
});

test('a header without records gives zero records and no error', async (t) => {
  for (const input of ['id,name', 'id,name\n', 'id,name\r\n\r\n']) {
    const { records, ctx } = await parseAll(once(input));
    t.deepEqual(records, []);
    t.is(ctx.counters.read, 0);
  }
});

test('every record of an input shares one frozen columns array', async (t) => {
  const { records } = await parseAll(chunked('id,name\n1,a\n2,b\n3\n', 3));
  t.deepEqual(records[0]?.columns, ['id', 'name']);
  t.true(Object.isFrozen(records[0]?.columns));
  t.true(records.every((record) => record.columns === records[0]?.columns));
});

test('header names are kept exactly (quoted, spaces, non-ASCII)', async (t) => {
  const { records } = await parseAll(once('"id, key", Name ,Stadt\u00e4\n1,2,3\n'));
  t.deepEqual(records[0]?.columns, ['id, key', ' Name ', 'Stadtä']);
});

test('a column named __proto__ is an ordinary own field', async (t) => {
  const { records } = await parseAll(once('id,__proto__\n1,x\n'));
  const fields = records[0]?.fields ?? {};
  t.deepEqual(Object.keys(fields), ['id', '__proto__']);
  t.is(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value, 'x');
  t.is(Object.getPrototypeOf(fields), Object.prototype);
});

test('50,000 columns parse', async (t) => {
  const names = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
  const { records } = await parseAll(chunked(`${names.join(',')}\n${names.map((_, i) => i).join(',')}\n`, 64 * 1024));
  t.is(records[0]?.columns.length, 50_000);
  t.is(records[0]?.fields.c49999, '49999');
});

test('header names that look like code, quotes, backslashes or line separators are plain keys', async (t) => {
  const names = ['a"b', 'c\\d', 'e\u2028f', '}); throw new Error("injected"); ({', '${x}', 'constructor', '__proto__'];
  const header = names.map((name) => `"${name.replaceAll('"', '""')}"`).join(',');
  const { records } = await parseAll(once(`${header}\n${names.map((_, i) => i).join(',')}\n1,2\n`));
  t.deepEqual(Object.entries(records[0]?.fields ?? {}), names.map((name, i) => [name, String(i)]));
  t.deepEqual(Object.entries(records[1]?.fields ?? {}), [
    ['a"b', '1'],
    ['c\\d', '2'],
  ]);
});
