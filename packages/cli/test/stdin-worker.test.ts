/**
 * `-` goes to the encode worker, which reads descriptor 0 itself: the batches and rejects must be those of the
 * one-thread path (`--threads 1`, which reads `process.stdin` on the main thread) — plain or gzip, in memory or
 * spilled, and `--presorted`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { BIN, batchOutputs, runCli, sampleExportFixture } from './run-cli.js';

const { work, input } = sampleExportFixture(test, 20_000, 'bulkpipe-cli-stdin-');

const sameAsOneThread = test.macro(async (t, name: string, gzip: boolean, extra: readonly string[]) => {
  const bytes = readFileSync(input);
  const stdin = gzip ? gzipSync(bytes) : bytes;
  const args = ['--id-column', 'customer_id', '--max-bytes', '400000', ...extra];
  const worker = await runCli(['split', '-', '--out', join(work, `${name}-two`), ...args], { stdin });
  const one = await runCli(['split', '-', '--out', join(work, `${name}-one`), ...args, '--threads', '1'], { stdin });
  t.is(worker.code, 0, worker.stderr);
  t.is(one.code, 0, one.stderr);
  const files = batchOutputs(join(work, `${name}-two`));
  t.true(Object.keys(files).length > 5);
  t.deepEqual(files, batchOutputs(join(work, `${name}-one`)));
  t.regex(files['rejects.csv']!, /,stdin,/); // the rows' source, as on one thread
});

test('stdin through the worker gives the one-thread batches and rejects', sameAsOneThread, 'plain', false, []);
test('… gzip on stdin too', sameAsOneThread, 'gzip', true, []);
test('… spilled past --memory', sameAsOneThread, 'spilled', false, ['--memory', '2MiB', '--temp-dir', work]);

test('regression: SIGINT stops a run whose stdin pipe stays open (the worker once blocked in a read until the writer closed it)', async (t) => {
  const child = spawn(process.execPath, [BIN, 'split', '-', '--out', join(work, 'interrupted'), '--id-column', 'customer_id', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Some rows, then the pipe stays open with nothing more to read: the worker waits on it.
  child.stdin.write(readFileSync(input).subarray(0, 200_000));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill('SIGINT');
  // A run that hangs would end only once the pipe closes: here after 20 s, and the test then fails.
  let closedByTest = false;
  const timeout = setTimeout(() => {
    closedByTest = true;
    child.stdin.end();
  }, 20_000);
  child.stdin.on('error', () => {}); // the pipe breaks when the run ends: expected
  const code = await exited;
  clearTimeout(timeout);
  t.is(code, 3, stdout);
  t.false(closedByTest, 'the run ended only when its stdin was closed');
});

test('regression: stdin that is /dev/null (a cron job, or a closed stdin) is an empty input, as on one thread — not a crash on its descriptor type', async (t) => {
  const run = (threads: string): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'split', '-', '--out', join(work, `devnull-${threads}`), '--id-column', 'id', '--threads', threads], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  const [two, one] = [await run('2'), await run('1')];
  t.is(one.code, 2, one.stderr);
  t.is(two.code, one.code, two.stderr);
  t.regex(two.stderr, /BULKPIPE_EMPTY_INPUT/);
});
