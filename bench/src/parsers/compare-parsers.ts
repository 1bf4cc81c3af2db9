/**
 * Parser comparison: which CSV parser should bulkpipe's parse stage use? Every candidate parses the same
 * generated CRM export (quoted fields with commas and quotes, non-ASCII, ~150 bytes/row) from the same
 * in-memory 64 KiB chunks, so disk speed stays out of the numbers. Best of `--runs` runs per candidate.
 *
 *   node --import=tsx bench/src/parsers/compare-parsers.ts [--rows 1000000] [--runs 3] [--only name]
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSampleExport } from '../../../packages/transforms/src/sample/index.js';
import { bulkpipeScanner, csvParseStream, papaparseChunked, udsvStream } from './candidates.js';
import type { Candidate } from './candidates.js';
import { bulkpipeParseRecordsFromFile, bulkpipeRecords } from './bulkpipe-records.js';

const CHUNK_BYTES = 64 * 1024;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `parsers-${rows}.csv`);
if (!existsSync(file)) {
  process.stderr.write(`generating ${file}…\n`);
  await writeSampleExport(file, { rows, seed: 7 });
}
const bytes = readFileSync(file);
const chunks: Buffer[] = [];
for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) chunks.push(bytes.subarray(offset, offset + CHUNK_BYTES));

const candidates: Candidate[] = [bulkpipeScanner, bulkpipeRecords, bulkpipeParseRecordsFromFile(file), udsvStream, papaparseChunked, csvParseStream].filter(
  (candidate) => values.only === undefined || candidate.name.toLowerCase().includes(values.only.toLowerCase()),
);

const results: { name: string; records: number; checksum: number; seconds: number }[] = [];
for (const candidate of candidates) {
  let best = Infinity;
  let outcome = { records: 0, checksum: 0 };
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    outcome = await candidate.run(chunks);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.min(best, seconds);
  }
  results.push({ name: candidate.name, ...outcome, seconds: best });
  process.stderr.write(`${candidate.name}: ${(outcome.records / best / 1e6).toFixed(2)} M rows/s\n`);
}

const mb = statSync(file).size / 1e6;
console.log(`Input: ${rows.toLocaleString('en')} rows, ${mb.toFixed(1)} MB (${(statSync(file).size / rows).toFixed(0)} bytes/row), ` +
  `${CHUNK_BYTES / 1024} KiB chunks, best of ${runs}; Node ${process.version}, ${process.platform} ${process.arch}\n`);
console.log('| parser | records | rows/s | MB/s | ns/row | cells checksum |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.records.toLocaleString('en')} | ${Math.round(r.records / r.seconds).toLocaleString('en')} | ${(mb / r.seconds).toFixed(0)} | ` +
      `${((r.seconds * 1e9) / r.records).toFixed(0)} | ${r.checksum} |`,
  );
}
