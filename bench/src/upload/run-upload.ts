/**
 * `pnpm --filter @bulkpipe/bench run bench:upload`: `bulkpipe run` of the reference export (5M rows by
 * default, ~775 MB) against a child `bulkpipe emulator` with Target's 50-calls-a-minute limit on and a small
 * processing delay, `--no-wait`. Reads the run's NDJSON events and reports where the uploader's wall time
 * went: no batch ready (waiting for the pipeline), held by the limiter, or sending (upload-timeline.ts).
 * The question (issue 5): is the limiter, not the pipeline, what waits? Not part of the test suite.
 *
 * Environment:
 *   BENCH_UPLOAD_ROWS      rows of the reference export. @default 5000000
 *   BENCH_UPLOAD_ARGS      extra flags for `bulkpipe run` (e.g. "--max-rows 50000 --memory 1GB"). @default none
 *   BENCH_UPLOAD_DELAY_MS  the emulator's processing delay. @default 100
 *   BENCH_UPLOAD_RATE      the emulator's and the client's calls per minute. @default 50
 *   BENCH_UPLOAD_INPUT     a CSV to upload instead of the reference export (e.g. it sorted by id, run with
 *                          BENCH_UPLOAD_ARGS=--presorted); the generator's prediction of the rows sent is not checked
 *   BENCH_WRITE_RESULTS=1  write the section of bench/RESULTS.md for this size and these flags.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine } from '../machine.js';
import { ensureReferenceExport } from '../reference-export.js';
import { uploadTimeline } from './upload-timeline.js';
import type { UploadEvent, UploadTimeline } from './upload-timeline.js';
import { renderUploadReport } from './upload-report.js';

const benchDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const repoRoot = dirname(benchDir);
const cliBin = join(repoRoot, 'packages', 'cli', 'bundle', 'bin.js');
const PRELOAD_URL = pathToFileURL(join(benchDir, 'src', 'peak-rss-preload.mjs')).href;
/** Target's documented intake: 50 calls a minute per account. */
const TARGET_CALLS_PER_MINUTE = 50;

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

const rows = positiveInteger('BENCH_UPLOAD_ROWS', 5_000_000);
const delayMs = positiveInteger('BENCH_UPLOAD_DELAY_MS', 100);
const callsPerMinute = positiveInteger('BENCH_UPLOAD_RATE', TARGET_CALLS_PER_MINUTE);
const extraArgs = (process.env.BENCH_UPLOAD_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
/** The run's `--concurrency` (the CLI's default is 2). */
const concurrencyAt = extraArgs.indexOf('--concurrency');
const concurrency = concurrencyAt === -1 ? 2 : Number(extraArgs[concurrencyAt + 1]);
const log = (line: string): void => void process.stderr.write(`bench:upload: ${line}\n`);

/** Starts `bulkpipe emulator` and resolves with its base URL (the first line it prints). */
async function startEmulator(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliBin, 'emulator', '--quiet', '--processing-delay-ms', String(delayMs), '--rate-limit', String(callsPerMinute)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [url] = (await once(lines, 'line')) as [string];
  if (!/^http:\/\//.test(url)) throw new Error(`the emulator printed ${url}`);
  return { child, url };
}

interface RunResult {
  readonly timeline: UploadTimeline;
  readonly wallMs: number;
  readonly peakRssBytes: number | undefined;
  readonly exitCode: number | null;
  readonly summary: Record<string, unknown> | undefined;
  readonly stderrTail: string;
}

async function runUpload(input: string, url: string, outDir: string): Promise<RunResult> {
  const rssFile = join(outDir, 'peak-rss.txt');
  const args = [
    '--import', PRELOAD_URL, cliBin, 'run', input,
    '--client', 'bench', '--endpoint', url, '--id-column', 'customer_id',
    '--calls-per-minute', String(callsPerMinute), '--no-wait', '--json', '--out', outDir, ...extraArgs,
  ];
  log(`bulkpipe ${args.slice(3).join(' ')}`);
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, BENCH_PEAK_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: UploadEvent[] = [];
  let summary: Record<string, unknown> | undefined;
  let stderrTail = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderrTail = (stderrTail + text).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    // ~75,000 `reject` events for 5M rows: skip them unparsed
    if (line.startsWith('{"event":"reject"')) return;
    const parsed = JSON.parse(line) as { event: string; time: string } & Record<string, unknown>;
    if (parsed.event === 'summary') summary = parsed;
    const at = Date.parse(parsed.time);
    events.push({ ...(parsed as unknown as UploadEvent), at });
    if (parsed.event === 'batch-accepted') log(`batch ${String(parsed.seq)} accepted at ${((at - startedAt) / 1000).toFixed(1)} s`);
  });
  const [exitCode] = (await once(child, 'close')) as [number | null];
  const exitedAt = Date.now();
  const rss = Number((await readFile(rssFile, 'utf8').catch(() => '')).trim());
  await writeFile(join(outDir, 'events.ndjson'), events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  return {
    timeline: uploadTimeline(events, startedAt, exitedAt, concurrency),
    wallMs: exitedAt - startedAt,
    peakRssBytes: Number.isFinite(rss) && rss > 0 ? rss : undefined,
    exitCode,
    summary,
    stderrTail,
  };
}

const outDir = join(benchDir, 'out', 'upload');
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const reference = await ensureReferenceExport(join(benchDir, 'data'), { rows, seed: 1 });
log(`${reference.path} (${(reference.stats.bytes / 1e6).toFixed(1)} MB${reference.generatedInMs === undefined ? ', cached' : ''})`);
const inputPath = process.env.BENCH_UPLOAD_INPUT ?? reference.path;
const emulator = await startEmulator();
let result: RunResult;
try {
  result = await runUpload(inputPath, emulator.url, outDir);
} finally {
  emulator.child.kill('SIGTERM');
}
const counters = (result.summary?.counters ?? {}) as Record<string, number>;
const expectedSent = reference.stats.expectedDefaultOutcome.sent;
const problems: string[] = [];
if (result.exitCode !== 0) problems.push(`bulkpipe run exited with ${result.exitCode}: ${result.stderrTail.slice(-600)}`);
if (counters.sent !== expectedSent && extraArgs.length === 0 && inputPath === reference.path) problems.push(`sent ${counters.sent} rows; the generator predicts ${expectedSent}`);
if (result.timeline.batches !== counters.batches) problems.push(`${result.timeline.batches} submissions seen for ${counters.batches} batches`);

const machine = await describeMachine(repoRoot, benchDir);
const input = inputPath === reference.path ? undefined : inputPath;
const report = renderUploadReport({ machine, reference, input, result, counters, extraArgs, delayMs, callsPerMinute, problems });
process.stdout.write(`${report}\n`);
await writeFile(join(benchDir, 'out', `UPLOAD-${rows}.md`), `${report}\n`);
if (process.env.BENCH_WRITE_RESULTS === '1') {
  const { updateUploadSection } = await import('./upload-report.js');
  await updateUploadSection(join(benchDir, 'RESULTS.md'), `${rows}${extraArgs.length === 0 ? '' : ` ${extraArgs.join(' ')}`}`, report);
  log('updated bench/RESULTS.md');
}
if (problems.length > 0) process.exitCode = 1;
