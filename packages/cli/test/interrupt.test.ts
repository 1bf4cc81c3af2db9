import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '@bulkpipe/emulator';
import { writeSampleExport } from '@bulkpipe/transforms';
import { BIN, runCli, tempDir } from './run-cli.js';

/** Starts `bulkpipe run --json` and sends SIGINT when the first batch goes on the wire; resolves with the exit code. */
function runAndInterrupt(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buffered = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      if (!interrupted && buffered.includes('"event":"batch-submitting"')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('SIGINT lets the call in flight finish, journals its answer, exits 3; the resumed run sends only what is missing', async (t) => {
  // Every submission takes 1.5 s to answer, so the interrupt lands while the first ones are on the wire.
  const emulator = await startEmulator({ settings: { processingDelayMs: 0 }, faults: ['latency:ms=1500,endpoint=batchUpdate'] });
  t.teardown(() => emulator.close());
  const dir = tempDir();
  const input = join(dir, 'export.csv');
  await writeSampleExport(input, { rows: 3000, seed: 3 });
  const journal = join(dir, 'run.journal');
  const args = ['run', input, '--id-column', 'customer_id', '--max-rows', '500', '--client', 'acme', '--endpoint', emulator.url, '--journal', journal, '--out', join(dir, 'out')];

  const first = await runAndInterrupt(args);
  t.is(first.code, 3, first.stderr);
  t.regex(first.stderr, /letting calls in flight finish/);
  const records = readFileSync(journal, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; seq?: number; outcome?: string });
  const answered = records.filter((record) => record.type === 'submitted').map((record) => record.seq);
  t.true(answered.length >= 1, 'the answer of the call in flight was journaled');
  t.is(records.at(-1)?.type, 'run-end');
  t.is(records.at(-1)?.outcome, 'aborted');
  const acceptedBefore = emulator.listBatches('acme').length;
  t.is(acceptedBefore, answered.length);

  emulator.clearFaults();
  const resumed = await runCli(args);
  t.is(resumed.code, 0, resumed.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { upload: { batches: { seq: number; resumed: boolean }[] } };
  const batches = report.upload.batches;
  t.deepEqual(
    batches.filter((batch) => batch.resumed).map((batch) => batch.seq),
    answered,
  );
  // Every batch was accepted exactly once, server-side.
  t.is(emulator.listBatches('acme', 1000).length, batches.length);
});

/** Whether a thread of `pid` is blocked opening a FIFO that has no writer (Linux: its wait channel). */
function blockedOpeningFifo(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((task) => readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8') === 'wait_for_partner');
  } catch {
    return false; // the process or a thread just ended
  }
}

// Linux only: the test waits until the worker is known to be blocked in open(2) (/proc), else a signal that came
// before it got there would stop the run in order and the test could not fail.
(process.platform === 'linux' ? test : test.skip)('regression: a named pipe nothing writes to, the second SIGINT still ends the run (the worker once hung in open(2) for good)', async (t) => {
  const fifo = join(tempDir(), 'export.fifo');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [BIN, 'split', fifo, '--out', join(tempDir(), 'out'), '--id-column', 'customer_id'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (chunk.includes('SIGINT received')) child.kill('SIGINT');
  });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  // Left hanging, the child is killed here after 20 s, and the test fails.
  const hung = setTimeout(() => child.kill('SIGKILL'), 20_000);
  while (!blockedOpeningFifo(child.pid!)) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGINT');
  const [code, signal] = await closed;
  clearTimeout(hung);
  t.is(code, null, stderr);
  t.is(signal, 'SIGINT', stderr);
  t.regex(stderr, /still running 3 s after the second SIGINT .*exiting now/);
});
