import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import type { ProfileRow } from '@bulkpipe/core';
import { batchStage } from '../src/batch/batch-step.js';
import { batchFileName } from '../src/batch-files/batch-dir.js';
import { writeBatchFiles } from '../src/batch-files/write-batch-files.js';
import { writeManifest } from '../src/batch-files/write-manifest.js';
import { RunContext } from '../src/run-context.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'bulkpipe-batches-'));

function rowChunks(count: number): ProfileRow[][] {
  const rows = Array.from({ length: count }, (_, i): ProfileRow => ({ id: `c-${i}`, attributes: { city: 'München', n: String(i) }, origins: [{ source: 'in.csv', line: i + 2 }] }));
  return [rows.slice(0, count / 2), rows.slice(count / 2)];
}

async function split(dir: string, rows: number, options: { overwrite?: boolean } = {}) {
  const ctx = new RunContext();
  const files = writeBatchFiles(dir, options);
  await pipeline(Readable.from(rowChunks(rows)), batchStage({ maxRows: 40 }, ctx), files);
  return files.entries;
}

test('each batch becomes a complete body file, and the entries describe the files on disk', async (t) => {
  const dir = join(tempDir(), 'out', 'nested'); // created when missing
  const entries = await split(dir, 100);
  t.deepEqual(readdirSync(dir).sort(), ['batch-00001.txt', 'batch-00002.txt', 'batch-00003.txt']);
  t.deepEqual(entries.map((entry) => [entry.file, entry.rows, entry.firstLine, entry.lastLine]), [
    ['batch-00001.txt', 40, 2, 41],
    ['batch-00002.txt', 40, 42, 81],
    ['batch-00003.txt', 20, 82, 101],
  ]);
  for (const entry of entries) {
    const body = readFileSync(join(dir, entry.file));
    t.true(body.toString('latin1').startsWith('batch=thirdPartyId,city,n\nc-'));
    t.is(body.length, entry.bytes);
    t.is(createHash('sha256').update(body).digest('hex'), entry.sha256);
  }
});

test('the manifest lists the batches and the caller’s summary as given', async (t) => {
  const dir = tempDir();
  const entries = await split(dir, 50);
  const path = await writeManifest(dir, entries, { read: 50, sent: 50, books: 'balanced' });
  t.is(path, join(dir, 'manifest.json'));
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { batches: unknown[]; summary: unknown };
  t.deepEqual(manifest, { batches: JSON.parse(JSON.stringify(entries)), summary: { read: 50, sent: 50, books: 'balanced' } });
  t.deepEqual(Object.keys(manifest.batches[0] as object), ['file', 'rows', 'bytes', 'sha256', 'firstLine', 'lastLine']);
  t.false(readdirSync(dir).some((name) => name.endsWith('.tmp')));
});

test('a directory holding an earlier run is refused, and nothing in it is touched', async (t) => {
  const dir = tempDir();
  await writeManifest(dir, await split(dir, 100), {});
  const before = readFileSync(join(dir, 'batch-00001.txt'));
  const error = await t.throwsAsync(split(dir, 10));
  t.is((error as { code?: string }).code, ErrorCode.INVALID_OPTION);
  t.regex(error!.message, /already holds files of an earlier run \(batch-00001\.txt, batch-00002\.txt, batch-00003\.txt and 1 more\)/);
  t.deepEqual(readFileSync(join(dir, 'batch-00001.txt')), before);
  t.is(readdirSync(dir).length, 4);
});

test('overwrite removes every earlier batch file and the manifest first, so runs never mix', async (t) => {
  const dir = tempDir();
  await writeManifest(dir, await split(dir, 100), {});
  writeFileSync(join(dir, 'notes.txt'), 'keep me');
  const entries = await split(dir, 30, { overwrite: true });
  t.deepEqual(readdirSync(dir).sort(), ['batch-00001.txt', 'notes.txt']);
  t.is(entries.length, 1);
});

test('a batch file is never replaced in place: a repeated seq fails with OUTPUT_UNWRITABLE', async (t) => {
  const dir = tempDir();
  const batch = { seq: 1, body: Buffer.from('batch=thirdPartyId\na\n'), rows: 1, bytes: 21, sha256: '', firstLine: 2, lastLine: 2, ids: ['a'], origins: [[{ source: 'in.csv', line: 2 }]] };
  const error = await t.throwsAsync(pipeline(Readable.from([[batch], [batch]]), writeBatchFiles(dir)));
  t.is((error as { code?: string }).code, ErrorCode.OUTPUT_UNWRITABLE);
  t.regex(error!.message, /Cannot write batch 1 to .*batch-00001\.txt/);
});

test('file names have five digits and grow past 99,999 batches', (t) => {
  t.is(batchFileName(1), 'batch-00001.txt');
  t.is(batchFileName(123_456), 'batch-123456.txt');
});
