import test from 'ava';
import { chunked, once, parseAll } from './fixtures/parse/helpers.js';

const summary = async (input: Parameters<typeof parseAll>[0]): Promise<[number, Record<string, string>][]> =>
  (await parseAll(input)).records.map((record) => [record.line, { ...record.fields }]);

const expected: [number, Record<string, string>][] = [
  [2, { a: '1', b: 'x' }],
  [3, { a: '2', b: 'y' }],
];

test('LF, CRLF and lone CR (old Mac) line endings all end records', async (t) => {
  t.deepEqual(await summary(once('a,b\n1,x\n2,y\n')), expected);
  t.deepEqual(await summary(once('a,b\r\n1,x\r\n2,y\r\n')), expected);
  t.deepEqual(await summary(once('a,b\r1,x\r2,y\r')), expected);
});

test('mixed line endings in one input', async (t) => {
  t.deepEqual(await summary(once('a,b\r\n1,x\r2,y\n')), expected);
  t.deepEqual(await summary(once('a,b\r1,x\n2,y\r\n')), expected);
});

test('a CRLF split between chunks counts as one line ending', async (t) => {
  const csv = 'a,b\r\n1,x\r\n2,y\r\n';
  for (let cut = 1; cut < csv.length; cut++) t.deepEqual(await summary(chunked(csv, [cut])), expected, `cut at ${cut}`);
  t.deepEqual(await summary(chunked(csv, 1)), expected);
});

test('a lone CR at the end of a chunk still ends the record when the next chunk starts a new one', async (t) => {
  t.deepEqual(await summary(chunked('a,b\r1,x\r2,y', [4, 8])), expected);
});

test('blank lines are skipped but counted, before the header too', async (t) => {
  const { records } = await parseAll(once('\n\r\na,b\n\n1,x\r\n\r\n\r2,y\n\n'));
  t.deepEqual(
    records.map((record) => [record.line, record.fields.a]),
    [
      [5, '1'],
      [8, '2'],
    ],
  );
});

test('the line of a record is where it starts, counting newlines inside quoted fields', async (t) => {
  const { records } = await parseAll(once('a,b\n1,"x\ny\r\nz\rw"\n2,"\n"\n3,q'));
  t.deepEqual(
    records.map((record) => [record.line, record.fields.a]),
    [
      [2, '1'],
      [6, '2'],
      [8, '3'],
    ],
  );
});

test('the last record needs no line ending', async (t) => {
  t.deepEqual(await summary(once('a,b\n1,x\n2,y')), expected);
  t.deepEqual(await summary(once('a,b\r\n1,x\r\n2,y\r')), expected);
});
