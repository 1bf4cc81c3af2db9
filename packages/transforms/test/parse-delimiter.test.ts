import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { once, parseAll, parseFields } from './fixtures/parse/helpers.js';

for (const [name, delimiter] of [
  ['comma', ','],
  ['semicolon', ';'],
  ['tab', '\t'],
  ['pipe', '|'],
] as const) {
  test(`the ${name} delimiter is sniffed from the header line`, async (t) => {
    const csv = `id${delimiter}name${delimiter}note\n1${delimiter}a${delimiter}"x${delimiter}y"\n`;
    t.deepEqual(await parseFields(once(csv)), [{ id: '1', name: 'a', note: `x${delimiter}y` }]);
  });
}

test('sniffing ignores delimiters inside quoted header names and in data rows', async (t) => {
  t.deepEqual(await parseFields(once('"a,b,c";d\n1;2,3,4,5\n')), [{ 'a,b,c': '1', d: '2,3,4,5' }]);
});

test('a single-column header sniffs to comma; a tie goes to comma', async (t) => {
  t.deepEqual(await parseFields(once('email\nx@example.com\n')), [{ email: 'x@example.com' }]);
  t.deepEqual(await parseFields(once('a;b,c\n1;2,3\n')), [{ 'a;b': '1;2', c: '3' }]);
});

test('a given delimiter wins over sniffing, and may be any single character', async (t) => {
  t.deepEqual(await parseFields(once('a,b;c\n1,2;3\n'), { delimiter: ';' }), [{ 'a,b': '1,2', c: '3' }]);
  t.deepEqual(await parseFields(once('a^b\n1^"2^3"\n'), { delimiter: '^' }), [{ a: '1', b: '2^3' }]);
});

test('invalid options are INVALID_OPTION naming the option and the value', async (t) => {
  for (const delimiter of ['', ';;', '"', '\n']) {
    await t.throwsAsync(parseAll(once('a\n'), { delimiter }), { code: ErrorCode.INVALID_OPTION, message: /delimiter/ });
  }
  await t.throwsAsync(parseAll(once('a\n'), { maxRecordBytes: 0 }), { code: ErrorCode.INVALID_OPTION, message: /maxRecordBytes.*got 0/ });
  await t.throwsAsync(parseAll(once('a\n'), { recordsPerChunk: 1.5 }), { code: ErrorCode.INVALID_OPTION, message: /recordsPerChunk/ });
});
