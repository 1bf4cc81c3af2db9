/**
 * `pnpm bench`: generate the reference export once, run every benchmark on it in the same run, print the
 * results table and keep it in bench/RESULTS.md.
 *
 * Environment:
 *   BENCH_ROWS    rows of the reference export; 100000 for a quick smoke run. @default 1000000
 *   BENCH_REPEAT  runs per benchmark (the median is reported). @default 3
 *   BENCH_ONLY    comma-separated benchmark names to run (the baseline always runs).
 *   BENCH_WRITE_RESULTS=1  update RESULTS.md from a run smaller than the reference (quick runs leave it alone).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, NAIVE } from './benchmarks.js';
import { describeMachine } from './machine.js';
import { ensureReferenceExport } from './reference-export.js';
import { renderReport, renderTable, renderVerdict, updateResultsFile } from './report.js';
import { runBenchmarks } from './run-benchmarks.js';
import { summarize } from './summarize.js';

const REFERENCE_ROWS = 1_000_000;
const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = dirname(benchDir);

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

const rows = positiveInteger('BENCH_ROWS', REFERENCE_ROWS);
const repeat = positiveInteger('BENCH_REPEAT', 3);
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter((name) => name !== '');
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

const workDir = join(benchDir, 'out');
await mkdir(workDir, { recursive: true });
log(`reference export: ${rows.toLocaleString('en-US')} rows`);
const reference = await ensureReferenceExport(join(benchDir, 'data'), { rows, seed: 1 });
log(
  `${reference.path} ` +
    (reference.generatedInMs === undefined ? '(cached)' : `(generated in ${(reference.generatedInMs / 1000).toFixed(1)} s)`),
);

const selected = BENCHMARKS.filter((benchmark) => only === undefined || benchmark.name === NAIVE || only.includes(benchmark.name));
const results = await runBenchmarks(
  selected,
  { repoRoot, input: reference.path, inputStats: reference.stats, idColumn: 'customer_id', workDir },
  { repeat, log },
);
const summaries = summarize(results, reference.stats, NAIVE);
const machine = await describeMachine(repoRoot, benchDir);
const report = renderReport({ machine, reference, repeat, summaries });

process.stdout.write(`\n${renderTable(summaries)}\n\n${renderVerdict(summaries, rows)}\n`);
for (const summary of summaries) for (const note of summary.notes) process.stdout.write(`- ${summary.name}: ${note}\n`);

await writeFile(join(workDir, `RESULTS-${rows}.md`), report + '\n');
if (rows >= REFERENCE_ROWS || process.env.BENCH_WRITE_RESULTS === '1') {
  await updateResultsFile(join(benchDir, 'RESULTS.md'), rows, report);
  log('updated bench/RESULTS.md');
} else {
  log(`quick run: report in bench/out/RESULTS-${rows}.md, bench/RESULTS.md left as it is`);
}
// A benchmark that failed is a failed bench run; a skipped one (not built, not installed) is not.
if (summaries.some((summary) => summary.status === 'failed')) process.exitCode = 1;
