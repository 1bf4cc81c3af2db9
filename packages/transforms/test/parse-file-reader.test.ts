/**
 * Files are read into one reused buffer and decoded in 32 KiB pieces (a memory fix: see parse-input.ts and
 * parse-step.ts). Nothing may keep a view of the reused buffer: records from a multi-chunk file with
 * characters split at every boundary, and the line of an invalid byte deep in it, must match the text parsed
 * whole.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { parseAll } from './fixtures/parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-parse-file-reader-'));

/** ~900 KB: four 256 KiB reads, ~28 decode pieces, multi-byte characters and quoted line breaks throughout. */
function bigCsv(): string {
  const lines = ['id,city,note'];
  for (let i = 0; lines.length < 9000; i++) lines.push(`c-${i},${['Zürich', '東京', 'Łódź', '😀x'][i % 4]},"n${i}\nsecond, line ${'é'.repeat(i % 7)}"`);
  return lines.join('\n') + '\n';
}

test('a multi-chunk file gives the same records as its text in one piece, and as its gzip', async (t) => {
  const text = bigCsv();
  const path = join(dir, 'big.csv');
  writeFileSync(path, text);
  writeFileSync(`${path}.gz`, gzipSync(text));
  const fromFile = await parseAll(path, { sourceLabel: 's' });
  const fromGzip = await parseAll(`${path}.gz`, { sourceLabel: 's' });
  const fromText = await parseAll((async function* () { yield text; })(), { sourceLabel: 's' });
  t.is(fromFile.records.length, 8999);
  t.deepEqual(fromFile.records, fromText.records);
  t.deepEqual(fromGzip.records, fromText.records);
});

test('an invalid byte after several reads is reported on its own line', async (t) => {
  const text = bigCsv();
  const bytes = Buffer.from(text);
  const at = bytes.indexOf('\nc-7000,') + 1;
  const line = text.slice(0, text.indexOf('\nc-7000,') + 1).split('\n').length;
  const broken = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
  const path = join(dir, 'broken.csv');
  writeFileSync(path, broken);
  const error = await t.throwsAsync(parseAll(path));
  t.is((error as { code?: string }).code, ErrorCode.INVALID_UTF8);
  t.is((error as { context?: { line?: number } }).context?.line, line);
});
