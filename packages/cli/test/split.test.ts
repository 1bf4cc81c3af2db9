import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeSampleExport } from '@bulkpipe/transforms';
import type { SampleExportStats } from '@bulkpipe/transforms';
import { decodeBatchBody, readManifest, runCli, tempDir } from './run-cli.js';

let sample: string;
let stats: SampleExportStats;

test.before(async () => {
  sample = join(tempDir(), 'sample.csv');
  stats = await writeSampleExport(sample, { rows: 5000, seed: 42 });
});

test('split writes batch files, a manifest and rejects.csv, and the books balance', async (t) => {
  const out = join(tempDir(), 'out');
  const result = await runCli(['split', sample, '--out', out, '--id-column', 'customer_id']);
  t.is(result.code, 0, result.stderr);
  const manifest = readManifest(out);
  const { read, rejected, merged, sent } = manifest.summary.counters;
  t.is(read, stats.rows);
  t.is(read, rejected + merged + sent);
  t.true(manifest.summary.booksBalance);
  // One row per distinct id, less the ids whose every row was rejected.
  t.true(sent <= stats.distinctIds && sent >= stats.distinctIds - rejected);
  t.true(merged <= stats.duplicateRows);
  t.is(manifest.batches.reduce((sum, batch) => sum + batch.rows, 0), sent);
  t.regex(result.stderr, /books balance/);

  // Every rejected row is in rejects.csv with its line and a code.
  const rejects = parse(readFileSync(join(out, 'rejects.csv')), { columns: true }) as { line: string; code: string }[];
  t.is(rejects.length, rejected);
  t.true(rejects.every((row) => Number(row.line) >= 2 && row.code.startsWith('BULKPIPE_')));

  // Each batch file is exactly the body the manifest describes, and decodes as Target would.
  const ids = new Set<string>();
  for (const entry of manifest.batches) {
    const body = readFileSync(join(out, entry.file));
    t.is(body.length, entry.bytes);
    t.true(body.length < 50_000_000);
    t.is(createHash('sha256').update(body).digest('hex'), entry.sha256);
    const decoded = decodeBatchBody(body.toString('latin1'));
    t.is(decoded.header[0], 'thirdPartyId');
    t.is(decoded.rows.length, entry.rows);
    for (const row of decoded.rows) {
      t.false(ids.has(row[0]!), `id ${row[0]} appears in two rows`);
      ids.add(row[0]!);
      t.true(row.length <= decoded.header.length);
    }
  }
  t.is(ids.size, sent);
});

test('the same input and options give byte-identical batches', async (t) => {
  const first = join(tempDir(), 'a');
  const second = join(tempDir(), 'b');
  t.is((await runCli(['split', sample, '--out', first, '--id-column', 'customer_id', '--max-rows', '700'])).code, 0);
  t.is((await runCli(['split', sample, '--out', second, '--id-column', 'customer_id', '--max-rows', '700'])).code, 0);
  const files = readdirSync(first).filter((file) => file.startsWith('batch-')).sort();
  t.true(files.length > 1);
  t.deepEqual(readdirSync(second).filter((file) => file.startsWith('batch-')).sort(), files);
  for (const file of files) t.true(readFileSync(join(first, file)).equals(readFileSync(join(second, file))), file);
});

test('--max-rows and --max-bytes cap every batch', async (t) => {
  const out = join(tempDir(), 'caps');
  const result = await runCli(['split', sample, '--out', out, '--id-column', 'customer_id', '--max-rows', '1000', '--max-bytes', '100kB']);
  t.is(result.code, 0, result.stderr);
  const manifest = readManifest(out);
  t.true(manifest.batches.length > 5);
  for (const entry of manifest.batches) {
    t.true(entry.rows <= 1000);
    t.true(entry.bytes < 100_000);
    t.is(readFileSync(join(out, entry.file)).length, entry.bytes);
  }
});

test('stdin (-) is read like a file', async (t) => {
  const out = join(tempDir(), 'stdin');
  const result = await runCli(['split', '-', '--out', out, '--id-column', 'id'], { stdin: 'id,tier\nc-1,gold\nc-2,silver\nc-1,\n' });
  t.is(result.code, 0, result.stderr);
  t.is(readFileSync(join(out, 'batch-00001.txt'), 'utf8'), 'batch=thirdPartyId,tier\nc-1,gold\nc-2,silver\n');
});

test('bulkpipe.config.json in the working directory supplies options; flags override it', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'in.csv'), 'crm_id,tier\nc-1,gold\nc-2,silver\nc-3,bronze\n');
  writeFileSync(join(dir, 'bulkpipe.config.json'), JSON.stringify({ idColumn: 'crm_id', maxRows: '2' }));
  const result = await runCli(['split', 'in.csv', '--out', 'out'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  t.is(readManifest(join(dir, 'out')).batches.length, 2);
  const overridden = await runCli(['split', 'in.csv', '--out', 'out2', '--max-rows', '3'], { cwd: dir });
  t.is(overridden.code, 0, overridden.stderr);
  t.is(readManifest(join(dir, 'out2')).batches.length, 1);
});

test('passing the reject ceiling exits 1 and writes no batch files', async (t) => {
  const dir = tempDir();
  const rows = ['id,tier', ...Array.from({ length: 50 }, (_, i) => (i % 4 === 0 ? `c+${i},gold` : `c-${i},gold`))];
  writeFileSync(join(dir, 'in.csv'), rows.join('\n'));
  const out = join(dir, 'out');
  const result = await runCli(['split', join(dir, 'in.csv'), '--out', out, '--id-column', 'id']);
  t.is(result.code, 1);
  t.regex(result.stderr, /BULKPIPE_REJECT_RATE_EXCEEDED/);
  t.regex(result.stderr, /above the ceiling of 5\.0 %/);
  t.false(existsSync(join(out, 'batch-00001.txt')));
  // …but the rejects are there, so the user can see why.
  t.true(readFileSync(join(out, 'rejects.csv'), 'utf8').includes('BULKPIPE_ID_FORBIDDEN_CHAR'));
});

test('--json writes NDJSON events: start, rejects, summary', async (t) => {
  const out = join(tempDir(), 'json');
  const result = await runCli(['split', '-', '--out', out, '--id-column', 'id', '--json', '--max-reject-rate', '50%'], { stdin: 'id,tier\nc-1,gold\n,silver\n' });
  t.is(result.code, 0, result.stderr);
  const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; [key: string]: unknown });
  t.is(events[0]?.event, 'start');
  t.truthy(events.find((event) => event.event === 'reject' && event.line === 3 && event.code === 'BULKPIPE_ID_EMPTY'));
  const summary = events.at(-1)!;
  t.is(summary.event, 'summary');
  t.is(summary.exitCode, 0);
});
