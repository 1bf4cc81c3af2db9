import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { chunked, parseAll, parseFields } from './fixtures/parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-parse-gzip-'));
const csv = 'id,city\n1,Zürich\n2,"a,b"\n';
const expected = [
  { id: '1', city: 'Zürich' },
  { id: '2', city: 'a,b' },
];

test('gzip is recognised by its magic bytes, not the file name', async (t) => {
  const path = join(dir, 'export.csv');
  writeFileSync(path, gzipSync(csv));
  t.deepEqual(await parseFields(path), expected);
  const plain = join(dir, 'plain.csv.gz');
  writeFileSync(plain, csv);
  t.deepEqual(await parseFields(plain), expected);
});

test('gzip from a stream in 1-byte chunks; bytesRead counts the compressed bytes', async (t) => {
  const compressed = gzipSync(csv);
  const { records, ctx } = await parseAll(chunked(compressed, 1));
  t.deepEqual(
    records.map((record) => record.fields),
    expected,
  );
  t.is(ctx.counters.bytesRead, compressed.length);
});

test('concatenated gzip members are read as one input', async (t) => {
  const members = Buffer.concat([gzipSync('id,city\n1,Zürich\n'), gzipSync('2,"a,b"\n')]);
  t.deepEqual(await parseFields(chunked(members, 10)), expected);
});

test('a truncated .gz is GZIP_CORRUPT naming the source', async (t) => {
  const compressed = gzipSync(csv.repeat(100));
  const path = join(dir, 'truncated.csv.gz');
  writeFileSync(path, compressed.subarray(0, compressed.length - 20));
  const error = await t.throwsAsync(parseAll(path), { code: ErrorCode.GZIP_CORRUPT });
  t.true(error?.message.includes(path));
  t.is((error as { context?: { source?: string } }).context?.source, path);
});

test('corrupt gzip data is GZIP_CORRUPT', async (t) => {
  const compressed = Buffer.from(gzipSync(csv));
  compressed.fill(0x55, 12, 20);
  await t.throwsAsync(parseAll(chunked(compressed, 8), { sourceLabel: 'upload.gz' }), { code: ErrorCode.GZIP_CORRUPT, message: /upload\.gz/ });
});
