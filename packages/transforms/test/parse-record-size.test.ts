import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { chunked, once, parseAll } from './fixtures/parse/helpers.js';

test('a 10 MB field parses with the default maxRecordBytes', async (t) => {
  const big = 'x'.repeat(10 * 1024 * 1024);
  const { records } = await parseAll(chunked(`id,blob,z\n1,"${big}",end\n2,small,z\n`, 64 * 1024));
  t.is(records.length, 2);
  t.is(records[0]?.fields.blob?.length, big.length);
  t.is(records[0]?.fields.z, 'end');
  t.is(records[1]?.line, 3);
});

test('a record above maxRecordBytes is RECORD_TOO_LARGE naming the line it started on', async (t) => {
  const csv = `id,note\n1,ok\n2,"${'y'.repeat(5000)}"\n3,ok\n`;
  for (const size of [100, 1 << 20]) {
    const error = await t.throwsAsync(parseAll(chunked(csv, size), { maxRecordBytes: 1000 }), { code: ErrorCode.RECORD_TOO_LARGE });
    t.is((error as { context?: { line?: number } }).context?.line, 3);
    t.regex(error?.message ?? '', /line 3 is larger than maxRecordBytes \(1000 bytes/);
  }
});

test('maxRecordBytes counts UTF-8 bytes, not characters', async (t) => {
  const record = `1,${'é'.repeat(600)}`; // 602 characters, 1202 bytes
  await t.throwsAsync(parseAll(once(`id,v\n${record}\n`), { maxRecordBytes: 1000 }), { code: ErrorCode.RECORD_TOO_LARGE });
  const { records } = await parseAll(once(`id,v\n${record}\n`), { maxRecordBytes: 1202 });
  t.is(records.length, 1);
});

test('an unbalanced quote at the end of the input is UNCLOSED_QUOTE with the line the record started on', async (t) => {
  const csv = 'id,note\n1,ok\n2,"never closed\n3,more\n4,rows\n';
  for (const size of [1, 7, 1000]) {
    const error = await t.throwsAsync(parseAll(chunked(csv, size)), { code: ErrorCode.UNCLOSED_QUOTE });
    t.is((error as { context?: { line?: number } }).context?.line, 3);
  }
});

test('a generated endless stream with an unclosed quote errors after about maxRecordBytes, in bounded memory', async (t) => {
  const maxRecordBytes = 16 * 1024 * 1024;
  const chunk = Buffer.from('lorem ipsum, dolor sit amet\n'.repeat(2340)); // ~64 KiB, no quote to close it
  const limitBytes = 600 * 1024 * 1024;
  let produced = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('id,note\n1,fine\n2,"opens here and never closes\n');
    while (produced < limitBytes) {
      produced += chunk.length;
      yield chunk;
    }
  }
  const heapBefore = process.memoryUsage().heapUsed;
  const error = await t.throwsAsync(parseAll(endless()), { code: ErrorCode.RECORD_TOO_LARGE });
  t.is((error as { context?: { line?: number } }).context?.line, 3);
  t.regex(error?.message ?? '', /unbalanced `"`/);
  // It stopped right after the cap: it never read (let alone held) the 600 MB.
  t.true(produced < maxRecordBytes + 4 * chunk.length, `read ${produced} bytes`);
  t.true(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);
});
