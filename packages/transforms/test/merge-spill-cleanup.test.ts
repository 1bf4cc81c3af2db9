/**
 * A spilled merge's temporary files: in a private directory under tempDir, gone when the run ends — on success,
 * on failure and on abort — and a temp directory that cannot take them stops the run with SPILL_FAILED naming it.
 */
import fs, { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { runBatchPipeline, discardBatches } from '../src/assemble/batch-pipeline.js';
import type { BatchPipelineOptions } from '../src/assemble/batch-pipeline.js';
import { generateText } from './sample-helpers.js';
import type { Batch } from '../src/batch/batch.js';
import type { MergeOptions } from '../src/merge/merge-options.js';

const root = mkdtempSync(join(tmpdir(), 'bulkpipe-spill-cleanup-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const ROWS = 6000;
const csv = generateText({ rows: ROWS, seed: 5 }).text;
/** ~1 MB of held rows: a 300 KB budget spills. */
const SMALL_BUDGET = 300_000;

function tempDir(name: string): string {
  const dir = join(root, name);
  fs.mkdirSync(dir);
  return dir;
}

async function split(input: BatchPipelineOptions['inputs'][number], merge: MergeOptions, ctx = new RunContext()): Promise<string[]> {
  const bodies: string[] = [];
  await runBatchPipeline({ inputs: [input], idColumn: 'customer_id', merge }, ctx, discardBatches((batch: Batch) => bodies.push(batch.sha256)));
  return bodies;
}

test('success: the spilled run gives the in-memory batches and leaves nothing in the temp directory', async (t) => {
  const dir = tempDir('success');
  const memory = await split(Readable.from([csv]), {});
  const spilled = await split(Readable.from([csv]), { maxMemoryBytes: SMALL_BUDGET, tempDir: dir, spillPartitions: 4 });
  t.deepEqual(spilled, memory);
  t.deepEqual(readdirSync(dir), []);
  // The budget is really passed: without spilling the same run stops.
  const error = await t.throwsAsync(split(Readable.from([csv]), { maxMemoryBytes: SMALL_BUDGET, spill: false }));
  t.is((error as { code?: string }).code, ErrorCode.MEMORY_BUDGET_EXCEEDED);
});

test('failure: an input error after the spill started removes the temp files', async (t) => {
  const dir = tempDir('failure');
  // Invalid UTF-8 at the very end: every row before it has been spilled when parse fails.
  const input = Readable.from([Buffer.from(csv), Buffer.from([0x61, 0xff, 0x0a])]);
  const error = await t.throwsAsync(split(input, { maxMemoryBytes: SMALL_BUDGET, tempDir: dir, spillPartitions: 4 }));
  t.is((error as { code?: string }).code, ErrorCode.INVALID_UTF8);
  t.deepEqual(readdirSync(dir), []);
});

test('failure: a sink that fails on the first batch (mid-drain of the spill) removes the temp files', async (t) => {
  const dir = tempDir('sink-failure');
  const failing = new Writable({ objectMode: true, write: (_chunk, _encoding, callback) => callback(new Error('disk gone')) });
  const error = await t.throwsAsync(
    runBatchPipeline({ inputs: [Readable.from([csv])], idColumn: 'customer_id', merge: { maxMemoryBytes: SMALL_BUDGET, tempDir: dir, spillPartitions: 4 }, batch: { maxRows: 500 } }, new RunContext(), failing),
  );
  t.is(error!.message, 'disk gone');
  t.deepEqual(readdirSync(dir), []);
});

test('abort: aborting a run that has spilled removes the temp files', async (t) => {
  const dir = tempDir('abort');
  const controller = new AbortController();
  const lines = csv.split('\n');
  // A slow input: the run spills, then sits waiting for more rows when the abort comes.
  async function* slow(): AsyncGenerator<string> {
    yield lines.slice(0, ROWS - 100).join('\n') + '\n';
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (readdirSync(dir).length > 0) controller.abort(new Error('stop'));
      yield '';
    }
  }
  const ctx = new RunContext({ signal: controller.signal });
  await t.throwsAsync(split(slow(), { maxMemoryBytes: SMALL_BUDGET, tempDir: dir, spillPartitions: 4 }, ctx));
  t.true(controller.signal.aborted, 'the run spilled before the abort');
  t.deepEqual(readdirSync(dir), []);
});

test('a temp directory that does not exist stops the run with SPILL_FAILED naming it', async (t) => {
  const dir = join(root, 'missing', 'deeper');
  const error = await t.throwsAsync(split(Readable.from([csv]), { maxMemoryBytes: SMALL_BUDGET, tempDir: dir }));
  t.is((error as { code?: string }).code, ErrorCode.SPILL_FAILED);
  t.true(error!.message.includes(dir), error!.message);
});

test.serial('a full disk stops the run with SPILL_FAILED naming the directory, and the files are removed', async (t) => {
  const dir = tempDir('full');
  // Simulate ENOSPC for files under `dir` only (a real full filesystem needs a mount).
  const spillFds = new Set<number>();
  const { openSync, writeSync } = fs;
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...args: unknown[]) => number)(path, ...rest);
    if (String(path).startsWith(dir)) spillFds.add(fd);
    return fd;
  }) as typeof fs.openSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    if (spillFds.has(fd)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  try {
    const error = await t.throwsAsync(split(Readable.from([csv]), { maxMemoryBytes: SMALL_BUDGET, tempDir: dir, spillPartitions: 4 }));
    t.is((error as { code?: string }).code, ErrorCode.SPILL_FAILED);
    t.regex(error!.message, /temporary directory .*full \(ENOSPC\)/);
    t.true(error!.message.includes(dir), error!.message);
  } finally {
    fs.openSync = openSync;
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
  }
  t.deepEqual(readdirSync(dir), []);
});
