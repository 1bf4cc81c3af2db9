/**
 * Ingest throughput of the emulator against a baseline measured in the same run: one ~49 MB, 300,000-row
 * v2 batch POSTed over loopback, timed from the first byte sent to the batch being applied (`complete`),
 * versus the plain SQLite insert loop of the same rows (ingest-child.ts). Each side runs in its own child
 * process, interleaved, `--rounds` times; medians are reported. No assertion: speed belongs here, not in tests.
 *
 * Run from packages/emulator: `node --import=tsx bench/ingest.ts [--rows 300000] [--rounds 3] [--db]`
 * (`--db`: a WAL database file in a temp directory instead of `:memory:`, for both sides).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBody } from './ingest-body.js';
import type { ChildReport } from './ingest-child.js';

const argValue = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const rows = argValue('--rows', 300_000);
const rounds = argValue('--rounds', 3);
const useFile = process.argv.includes('--db');
const childScript = new URL('./ingest-child.ts', import.meta.url).pathname;

function startChild(args: string[]): ChildProcess {
  return fork(childScript, args, { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`child exited with ${code} before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

/** POSTs with node:http, as `curl --data-binary` would: the body is written once, not copied by a fetch layer. */
function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface EmulatorRun {
  readonly answeredMs: number;
  readonly totalMs: number;
  readonly cpuMs: number;
  readonly complete: boolean;
}

async function runEmulator(body: Buffer, dbPath: string | undefined): Promise<EmulatorRun> {
  const child = startChild(['emulator', ...(dbPath === undefined ? [] : ['--db', dbPath])]);
  try {
    const { url } = await nextMessage<{ url: string }>(child);
    child.send({ start: true });
    await nextMessage(child);
    const started = performance.now();
    const answer = await post(`${url}/m2/bench/v2/profile/batchUpdate`, body);
    const answeredMs = performance.now() - started;
    const statusUrl = /<batchStatus>([^<]+)<\/batchStatus>/.exec(answer.text)?.[1];
    if (answer.status !== 200 || statusUrl === undefined) throw new Error(`batch refused: ${answer.status} ${answer.text}`);
    child.send({ wait: true });
    const { cpuMs } = await nextMessage<{ cpuMs: number }>(child);
    const totalMs = performance.now() - started;
    const status = await new Promise<string>((resolve, reject) => {
      request(`${statusUrl}&showDetails=true`, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    const complete = status.includes('<status>complete</status>') && status.includes(`<successfulUpdates>${rows}</successfulUpdates>`);
    child.send({ close: true });
    return { answeredMs, totalMs, cpuMs, complete };
  } finally {
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}

async function runBaseline(dbPath: string | undefined): Promise<ChildReport> {
  const child = startChild(['baseline', String(rows), ...(dbPath === undefined ? [] : ['--db', dbPath])]);
  const report = await nextMessage<ChildReport>(child);
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  if (report.rows !== rows) throw new Error(`baseline stored ${report.rows} rows, not ${rows}`);
  return report;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const perSecond = (ms: number): number => Math.round((rows * 1000) / ms);
const fmt = (n: number): string => n.toLocaleString('en-US');

const dir = useFile ? mkdtempSync(join(tmpdir(), 'bulkpipe-emu-bench-')) : undefined;
const body = buildBody(rows);
const emulatorRuns: EmulatorRun[] = [];
const baselineRuns: ChildReport[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const dbFor = (side: string): string | undefined => (dir === undefined ? undefined : join(dir, `${side}-${round}.db`));
    // alternate which side goes first, so a burst of load from elsewhere does not always hit the same one
    if (round % 2 === 0) {
      emulatorRuns.push(await runEmulator(body, dbFor('emulator')));
      baselineRuns.push(await runBaseline(dbFor('baseline')));
    } else {
      baselineRuns.push(await runBaseline(dbFor('baseline')));
      emulatorRuns.push(await runEmulator(body, dbFor('emulator')));
    }
  }
} finally {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

const storage = useFile ? 'file (WAL)' : 'memory';
console.log(`${fmt(rows)} rows, ${(body.length / 1e6).toFixed(1)} MB, storage ${storage}, ${rounds} rounds; node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end`);
console.log('');
console.log('| round | emulator: POST answered (ms) | emulator: total (ms) | emulator rows/s (wall) | emulator CPU (ms) | emulator rows per CPU-s | baseline (ms) | baseline rows/s | baseline rows per CPU-s | ratio (wall) | complete |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
emulatorRuns.forEach((run, i) => {
  const base = baselineRuns[i]!;
  console.log(
    `| ${i + 1} | ${Math.round(run.answeredMs)} | ${Math.round(run.totalMs)} | ${fmt(perSecond(run.totalMs))} | ${Math.round(run.cpuMs)} | ${fmt(perSecond(run.cpuMs))} | ${Math.round(base.ms)} | ${fmt(perSecond(base.ms))} | ${fmt(perSecond(base.cpuMs))} | ${(base.ms / run.totalMs).toFixed(2)}× | ${run.complete} |`,
  );
});
const emulatorMedian = median(emulatorRuns.map((run) => run.totalMs));
const baselineMedian = median(baselineRuns.map((run) => run.ms));
console.log(
  `| **median** | ${Math.round(median(emulatorRuns.map((run) => run.answeredMs)))} | ${Math.round(emulatorMedian)} | **${fmt(perSecond(emulatorMedian))}** | ${Math.round(median(emulatorRuns.map((run) => run.cpuMs)))} | ${fmt(perSecond(median(emulatorRuns.map((run) => run.cpuMs))))} | ${Math.round(baselineMedian)} | ${fmt(perSecond(baselineMedian))} | ${fmt(perSecond(median(baselineRuns.map((run) => run.cpuMs))))} | **${(baselineMedian / emulatorMedian).toFixed(2)}×** | ${emulatorRuns.every((run) => run.complete)} |`,
);
console.log('');
const goal = perSecond(emulatorMedian) >= 200_000;
console.log(`Goal (issue 5): the emulator ingests the batch at ≥ 200,000 rows/s — ${goal ? 'PASS' : 'FAIL'}: median ${fmt(perSecond(emulatorMedian))} rows/s, ${(baselineMedian / emulatorMedian).toFixed(2)}× the plain insert loop of the same rows.`);
if (!emulatorRuns.every((run) => run.complete)) process.exitCode = 1;
