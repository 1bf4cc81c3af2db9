/**
 * A merge that passes its memory budget spills to disk and must still give exactly what the in-memory merge
 * gives: the same batches byte for byte (ids, origins, line ranges), the same rejects and warnings in the same
 * order, the same counters — under every policy, with partitions split again when one alone is over the budget,
 * and with its partitions merged on one thread or two (the partition worker).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '@bulkpipe/core';
import type { InputRecord, RejectedRow, RowWarning } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergeOptions, MergePolicy } from '../src/merge/merge-options.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';

const root = mkdtempSync(join(tmpdir(), 'bulkpipe-spill-test-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));
/** Each test spills into a directory of its own: tests of a file run concurrently, and each checks its cleanup. */
const tempDirFor = (name: string): string => mkdtempSync(join(root, `${name}-`));

/** What an empty merge already estimates (index and id table at their initial size). */
const BASE_BYTES = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), new RunContext()).estimatedBytes;

const headerArb = fc.uniqueArray(fc.constantFrom('a', 'b', '2', '10', '__proto__', 'städt', 'e m'), { minLength: 1, maxLength: 5 });
const idArb = fc.constantFrom('1', '2', 'c-3', 'ü-4', ' 5', '', 'a+b', 'x/y', 'long-id-0000000000001', 'k9', 'k10', 'k11', 'k12');
const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', 'v', 'w', 'zürich', 'a b&c=d%e+f', '東京', 'has,comma') },
  { weight: 2, arbitrary: fc.constantFrom('x'.repeat(300), 'y'.repeat(900), 'ü'.repeat(400)) },
);

interface Outcome {
  batches: { body: string; rows: number; firstLine: number; lastLine: number; ids: readonly string[]; origins: unknown; sha256: string }[];
  rejects: Omit<RejectedRow, 'fields'>[];
  warnings: RowWarning[];
  counters: unknown;
  spilled: boolean;
  error?: string;
}

function records(header: readonly string[], rows: readonly [string, string[]][]): InputRecord[] {
  const columns = Object.freeze(['id', ...header]);
  return rows.map(([id, values], index) => {
    const fields: Record<string, string> = {};
    columns.forEach((column, i) => Object.defineProperty(fields, column, { value: i === 0 ? id : values[i - 1] ?? '', enumerable: true, writable: true, configurable: true }));
    return { source: index % 7 === 6 ? 'b.csv' : 'a.csv', line: index + 2, fields, columns };
  });
}

function run(input: readonly InputRecord[], merge: MergeOptions, maxBytes = 50_000_000): Outcome {
  const { ctx, arena, rejects, warnings } = setUp(merge, 1);
  const batches: Batch[] = [];
  let error: string | undefined;
  try {
    for (const record of input) arena.push(record);
    drainInto(batches, arena, ctx, maxBytes);
  } catch (thrown) {
    error = (thrown as { code?: string }).code ?? String(thrown);
  } finally {
    arena.dispose();
  }
  return outcome(batches, rejects, warnings, ctx, arena, error);
}

/** `run` with the spill's partitions merged on two threads (ArenaMerge.prepareDrain), as runBatchPipeline does. */
async function runOnTwoThreads(input: readonly InputRecord[], merge: MergeOptions, maxBytes = 50_000_000): Promise<Outcome> {
  const { ctx, arena, rejects, warnings } = setUp(merge, 2);
  const batches: Batch[] = [];
  let error: string | undefined;
  try {
    for (const record of input) arena.push(record);
    await arena.prepareDrain(new AbortController().signal);
    drainInto(batches, arena, ctx, maxBytes);
  } catch (thrown) {
    error = (thrown as { code?: string }).code ?? String(thrown);
  } finally {
    arena.dispose();
  }
  return outcome(batches, rejects, warnings, ctx, arena, error);
}

function setUp(merge: MergeOptions, threads: 1 | 2): { ctx: RunContext; arena: ArenaMerge; rejects: Omit<RejectedRow, 'fields'>[]; warnings: RowWarning[] } {
  const ctx = new RunContext({ enforceRejectRate: false });
  const rejects: Omit<RejectedRow, 'fields'>[] = [];
  const warnings: RowWarning[] = [];
  ctx.events.on('reject', ({ fields: _fields, ...row }) => rejects.push(row));
  ctx.events.on('warning', (warning) => warnings.push(warning));
  return { ctx, arena: new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(merge), ctx, 4096, undefined, threads), rejects, warnings };
}

function drainInto(batches: Batch[], arena: ArenaMerge, ctx: RunContext, maxBytes: number): void {
  const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes, maxRows: 7 }), ctx, (batch) => batches.push(batch));
  for (const _ of arena.drain(batcher, 3));
  batcher.flush();
}

function outcome(batches: Batch[], rejects: Omit<RejectedRow, 'fields'>[], warnings: RowWarning[], ctx: RunContext, arena: ArenaMerge, error: string | undefined): Outcome {
  return {
    ...(error !== undefined ? { error } : {}),
    batches: batches.map((b) => ({ body: b.body.toString('latin1'), rows: b.rows, firstLine: b.firstLine, lastLine: b.lastLine, ids: b.ids, origins: b.origins, sha256: b.sha256 })),
    rejects,
    warnings,
    counters: { ...ctx.counters },
    spilled: arena.spilled,
  };
}

test('a spilled merge gives the same batches, rejects, warnings and counters as the in-memory merge', (t) => {
  const tempRoot = tempDirFor('property');
  let spills = 0;
  let tooSmall = 0;
  fc.assert(
    fc.property(
      headerArb,
      fc.array(fc.tuple(idArb, fc.array(valueArb, { minLength: 5, maxLength: 5 })), { minLength: 10, maxLength: 80 }),
      fc.constantFrom<MergePolicy>('last', 'first', 'reject'),
      fc.integer({ min: 16_000, max: 45_000 }),
      fc.constantFrom(2, 3, 5),
      fc.constantFrom(400, 3000, 50_000_000),
      (header, rows, policy, headroom, spillPartitions, maxBytes) => {
        const input = records(header, rows);
        const memory = run(input, { policy, maxMemoryBytes: 1 << 30 }, maxBytes);
        const spilled = run(input, { policy, maxMemoryBytes: BASE_BYTES + headroom, tempDir: tempRoot, spillPartitions }, maxBytes);
        t.false(memory.spilled);
        // One id folded from many large rows can be over a tiny budget on its own: no partitioning helps.
        if (spilled.error === ErrorCode.MEMORY_BUDGET_EXCEEDED) {
          tooSmall++;
          return;
        }
        if (spilled.spilled) spills++;
        t.deepEqual({ ...spilled, spilled: false }, memory);
      },
    ),
    { numRuns: 150 },
  );
  t.log(`${spills} of 150 cases spilled, ${tooSmall} were over the budget with one id`);
  t.true(spills >= 15 && tooSmall < 40, `${spills} of 150 cases spilled, ${tooSmall} were over the budget with one id`);
  t.deepEqual(readdirSync(tempRoot), [], 'every spill directory is removed');
});

const wide = (i: number, id: string): InputRecord => ({
  source: 'big.csv',
  line: i + 2,
  columns: Object.freeze(['id', 'name', 'city', 'note']),
  fields: { id, name: `n${i % 13}`, city: i % 3 === 0 ? '' : 'Zürich', note: i % 5 === 0 ? '' : `#${i}-${'z'.repeat(i % 200)}` },
});

test('many rows, duplicates far apart, partitions split again: the spill matches the in-memory merge under every policy', (t) => {
  const tempRoot = tempDirFor('many');
  const input: InputRecord[] = [];
  for (let i = 0; i < 3000; i++) input.push(wide(i, `c-${(i * 7919) % 2250}`));
  for (const policy of ['last', 'first', 'reject'] as const) {
    const memory = run(input, { policy, maxMemoryBytes: 1 << 30 });
    // ~800 KB held (rows, index, folded rows): 2 partitions of ~400 KB each are over a 200 KB budget and get split again.
    const spilled = run(input, { policy, maxMemoryBytes: BASE_BYTES + 150_000, tempDir: tempRoot, spillPartitions: 2 });
    t.true(spilled.spilled, policy);
    t.deepEqual({ ...spilled, spilled: false }, memory, policy);
  }
  t.deepEqual(readdirSync(tempRoot), []);
});

/**
 * Rows enough to spill past a budget of 2 MiB (two threads merge partitions only from 2 MiB on): ~700 bytes
 * each, four optional columns empty on different rows, so folds make many merged shapes, in an order that
 * differs between the threads (the worker's shape ids must be mapped to the main thread's).
 */
function bigInput(count: number, idOf: (i: number) => string): InputRecord[] {
  const columns = Object.freeze(['id', 'a', 'b', 'c', 'd', 'note']);
  const input: InputRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = (k: number, name: string): string => (i % k === 0 ? '' : `${name}${i % 17}`);
    const fields = { id: idOf(i), a: value(2, 'a'), b: value(3, 'b'), c: value(5, 'ç'), d: value(7, 'd'), note: `#${i}-${'z'.repeat(500 + (i % 300))}` };
    input.push({ source: i % 9 === 8 ? 'b.csv' : 'a.csv', line: i + 2, columns, fields });
  }
  return input;
}

/** Ids with duplicates early (folded before the spill, dumped as such) and far apart, some encoded differently. */
const mixedId = (i: number): string => (i % 4 === 0 ? `e-${i % 700}` : i % 11 === 0 ? `ü-${i % 500}` : `c-${(i * 7919) % 4500}`);

/** Outcomes this large are compared as text: a structural diff of thousands of batches takes longer than the runs. */
/**
 * The spilled outcome is the in-memory one. On a difference, the place they part: the test runner's diff of two
 * multi-megabyte JSON texts takes minutes (long enough to look like a hang).
 */
function same(t: ExecutionContext, spilled: Outcome, memory: Outcome, label: string): void {
  t.true(spilled.spilled, `${label}: spilled`);
  const got = JSON.stringify({ ...spilled, spilled: false });
  const expected = JSON.stringify(memory);
  if (got === expected) {
    t.pass(label);
    return;
  }
  let at = 0;
  while (at < got.length && got[at] === expected[at]) at++;
  const around = (text: string): string => text.slice(Math.max(0, at - 150), at + 150);
  t.fail(`${label}: the outcomes part at character ${at} of ${expected.length}\n spilled: …${around(got)}…\n  memory: …${around(expected)}…`);
}

test('rows too long for a run-merge slot (over 256 KiB encoded) travel alone through the worker: the spill still matches memory', async (t) => {
  const tempRoot = tempDirFor('long-rows');
  const input = bigInput(14_000, mixedId);
  // A few rows of ids of their own far over Target's profile limit (the batcher rejects them), ~600 KB encoded each.
  for (const at of [10, 5000, 9000, 13_999]) {
    const record = input[at]!;
    input[at] = { ...record, fields: { ...record.fields, id: `long-${at}`, note: 'ü'.repeat(100_000 + at) } };
  }
  const memory = run(input, { maxMemoryBytes: 1 << 30 });
  t.is(memory.rejects.filter((row) => row.code === ErrorCode.PROFILE_TOO_LARGE).length, 4);
  const spilled = await runOnTwoThreads(input, { maxMemoryBytes: 8 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 8 });
  t.is(spilled.error, undefined);
  same(t, spilled, memory, 'long rows');
  t.deepEqual(readdirSync(tempRoot), []);
});

/** Records the rows a drain hands the batcher: at once, or — for `stable` rows — only when the drain settles them. */
class RowRecorder extends ByteBatcher {
  readonly rows: string[] = [];
  private pending: [Buffer, number, number][] = [];

  constructor(
    ctx: RunContext,
    private readonly deferStable: boolean,
  ) {
    super(resolveBatchOptions({}), ctx, () => undefined);
  }

  override add(src: Buffer, start: number, end: number, ...rest: [unknown, unknown, unknown, unknown, unknown, unknown, boolean?]): void {
    if (this.deferStable && rest[6] === true) this.pending.push([src, start, end]);
    else this.rows.push(src.toString('latin1', start, end));
  }

  override settle(): void {
    for (const [src, start, end] of this.pending) this.rows.push(src.toString('latin1', start, end));
    this.pending = [];
  }

  override flush(): void {
    this.settle();
  }
}

test('rows from the run-merge worker keep their bytes until the drain settles them, before their slot is written again', async (t) => {
  const tempRoot = tempDirFor('settle');
  // ~20 MB of merged rows: the worker's three 1 MiB slots are each filled several times.
  const input = bigInput(30_000, (i) => (i % 11 === 0 ? `ü-${i % 500}` : `c-${i % 25_000}`));
  const memory = setUp({ maxMemoryBytes: 1 << 30 }, 1);
  for (const record of input) memory.arena.push(record);
  const expected = new RowRecorder(memory.ctx, false);
  for (const _ of memory.arena.drain(expected));
  const spilled = setUp({ maxMemoryBytes: 4 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 8 }, 2);
  try {
    for (const record of input) spilled.arena.push(record);
    t.true(spilled.arena.spilled);
    await spilled.arena.prepareDrain(new AbortController().signal);
    // Stable rows are read only when settled: a slot handed back before that would hold other rows by then.
    const deferred = new RowRecorder(spilled.ctx, true);
    for (const _ of spilled.arena.drain(deferred));
    deferred.flush();
    t.is(deferred.rows.length, expected.rows.length);
    t.true(deferred.rows.every((row, i) => row === expected.rows[i]), 'the same rows, byte for byte, in the same order');
  } finally {
    spilled.arena.dispose();
  }
  t.deepEqual(readdirSync(tempRoot), []);
});

test('partitions merged on two threads give what the in-memory merge gives, under every policy, split again or not', async (t) => {
  const tempRoot = tempDirFor('two-threads');
  // ~3.5 MB held: ids whose encoding differs, duplicates far apart (some folded before the spill, some after).
  const input = bigInput(6000, mixedId);
  for (const policy of ['last', 'first', 'reject'] as const) {
    const memory = run(input, { policy, maxMemoryBytes: 1 << 30 });
    // Each thread's partition holds at most half the budget: 8 partitions fit it; 2 are over it and split again.
    for (const spillPartitions of [8, 2]) {
      const spilled = await runOnTwoThreads(input, { policy, maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions });
      same(t, spilled, memory, `${policy}, ${spillPartitions} partitions`);
    }
  }
  t.deepEqual(readdirSync(tempRoot), []);
});

test('random duplicate patterns spilled and merged on two threads give what the in-memory merge gives', async (t) => {
  const tempRoot = tempDirFor('two-threads-property');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 4000, max: 6000 }), fc.nat(1000), fc.constantFrom<MergePolicy>('last', 'first', 'reject'), async (distinct, salt, policy) => {
      const input = bigInput(6000, (i) => (i % 4 === 0 ? `e-${(i + salt) % 700}` : `id-${((i + salt) * 7919) % distinct}`));
      const memory = run(input, { policy, maxMemoryBytes: 1 << 30 });
      const spilled = await runOnTwoThreads(input, { policy, maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 6 });
      same(t, spilled, memory, `${distinct} ids, salt ${salt}, ${policy}`);
    }),
    { numRuns: 5 },
  );
  t.deepEqual(readdirSync(tempRoot), []);
});

test('one id whose rows alone are over the budget stops the spilled merge with MEMORY_BUDGET_EXCEEDED, and cleans up', (t) => {
  const tempRoot = tempDirFor('one-id');
  const input: InputRecord[] = [];
  // Folded on bytes, an id costs its merged row plus 16 bytes per line: 3,800 lines of one id are over 20 KB alone.
  for (let i = 0; i < 4000; i++) input.push(wide(i, i % 20 !== 0 ? 'the-one' : `other-${i}`));
  const outcome = run(input, { maxMemoryBytes: BASE_BYTES + 20_000, tempDir: tempRoot, spillPartitions: 2 });
  t.is(outcome.error, ErrorCode.MEMORY_BUDGET_EXCEEDED);
  t.deepEqual(readdirSync(tempRoot), []);
});

test('the same on two threads: the partition worker\'s MEMORY_BUDGET_EXCEEDED reaches the run, and everything is cleaned up', async (t) => {
  const tempRoot = tempDirFor('one-id-two-threads');
  // 4,000 ids fill the 2 MiB budget (they stay held), then one id of 7,600 lines goes to disk: its merged row and
  // origins are over half of the budget, whichever thread merges its partition.
  const input = bigInput(12_000, (i) => (i < 4000 ? `fill-${i}` : i % 20 !== 0 ? 'the-one' : `other-${i}`));
  const outcome = await runOnTwoThreads(input, { maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 2 });
  t.is(outcome.error, ErrorCode.MEMORY_BUDGET_EXCEEDED);
  t.deepEqual(readdirSync(tempRoot), []);
});

test('past the budget the ids held stay in memory, later rows of theirs fold there, and they are drained first, before any partition is merged', async (t) => {
  const tempRoot = tempDirFor('held-first');
  // 6,000 rows, every 40th a later row of an early id: the 2 MiB budget is reached about halfway.
  const input = bigInput(6000, (i) => (i % 40 === 39 ? `c-${i % 1000}` : `c-${i}`));
  const memory = run(input, { maxMemoryBytes: 1 << 30 });
  const { ctx, arena } = setUp({ maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }, 2);
  try {
    for (const record of input) arena.push(record);
    t.true(arena.spilled);
    const held = arena.size;
    t.true(held > 1000 && held < 4000, `${held} ids held`);
    const recorder = new RowRecorder(ctx, false);
    for (const _ of arena.drainHeld(recorder));
    // The held ids, in first-seen order, each folded with its later rows (spilled or not): the in-memory merge's first rows.
    const expected = new RowRecorder(new RunContext(), false);
    const all = setUp({ maxMemoryBytes: 1 << 30 }, 1).arena;
    for (const record of input) all.push(record);
    for (const _ of all.drain(expected));
    t.is(recorder.rows.length, held);
    t.deepEqual(recorder.rows, expected.rows.slice(0, held));
    t.true(readdirSync(tempRoot).length > 0, 'the other ids wait on disk');
    await arena.prepareDrain(new AbortController().signal);
    for (const _ of arena.drainSpilled(recorder));
    t.deepEqual(recorder.rows, expected.rows);
  } finally {
    arena.dispose();
  }
  t.is(memory.batches.length > 0, true);
  t.deepEqual(readdirSync(tempRoot), []);
});

test('held rows that outgrow the budget by folding later rows of their ids go to disk too, and the spill still matches memory', async (t) => {
  const tempRoot = tempDirFor('held-out');
  // 3,000 ids fill the 2 MiB budget, then 9,000 later rows of the same ids with other values: their folds and
  // origins grow the held rows past the budget's eighth of slack, and every id goes to disk.
  const input = bigInput(12_000, (i) => `c-${(i * 7919) % 3000}`);
  for (const policy of ['last', 'reject'] as const) {
    const memory = run(input, { policy, maxMemoryBytes: 1 << 30 });
    const { arena } = setUp({ policy, maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }, 1);
    try {
      for (const record of input) arena.push(record);
      t.true(arena.spilled, policy);
      t.is(arena.size, 0, `${policy}: no id is held in memory any more`);
    } finally {
      arena.dispose();
    }
    same(t, run(input, { policy, maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }), memory, `${policy}, one thread`);
    same(t, await runOnTwoThreads(input, { policy, maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }), memory, `${policy}, two threads`);
  }
  t.deepEqual(readdirSync(tempRoot), []);
});

test('regression: an id whose row was let go when the spill started (past the kept half) goes to disk when it comes back', async (t) => {
  const tempRoot = tempDirFor('let-go');
  // 3,500 ids fill the 2 MiB budget; only the first half of its rows stay held. Then every id again, newest first:
  // the ids let go come back first (a lookup that still found their slots read buffers already gone).
  const input = bigInput(7000, (i) => `c-${i < 3500 ? i : 6999 - i}`);
  const memory = run(input, { maxMemoryBytes: 1 << 30 });
  same(t, run(input, { maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }), memory, 'one thread');
  same(t, await runOnTwoThreads(input, { maxMemoryBytes: 2 * 1024 * 1024, tempDir: tempRoot, spillPartitions: 4 }), memory, 'two threads');
  t.deepEqual(readdirSync(tempRoot), []);
});
