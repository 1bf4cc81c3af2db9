/**
 * `threads: 2` (parse, map, validate and encode in a worker thread; merge and batch on the main thread) must
 * give exactly what `threads: 1` gives: the same batches byte for byte (with ids, origins and line ranges), the
 * same rejects and warnings in the same order with their fields, the same counters, and the same fatal errors
 * with their codes and context — in memory, spilled, with a mapping, over several files. And an aborted or
 * failed run ends its worker (a leaked thread would keep this test file from ending).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '@bulkpipe/core';
import type { RejectedRow, RowWarning } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import type { RunContextOptions } from '../src/run-context.js';
import { discardBatches, runBatchPipeline } from '../src/assemble/batch-pipeline.js';
import type { BatchPipelineOptions } from '../src/assemble/batch-pipeline.js';
import { parseMapping } from '../src/map/parse-mapping.js';
import type { Batch } from '../src/batch/batch.js';
import { generateText } from './sample-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'bulkpipe-threads-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

function file(content: string | Buffer): string {
  const path = join(root, `input-${files++}.csv`);
  writeFileSync(path, content);
  return path;
}

interface Outcome {
  batches: { body: string; rows: number; firstLine: number; lastLine: number; ids: readonly string[]; origins: unknown; sha256: string }[];
  rejects: RejectedRow[];
  warnings: RowWarning[];
  counters: unknown;
  error: unknown;
}

type Options = Omit<BatchPipelineOptions, 'threads'>;

async function observe(options: Options, threads: 1 | 2, contextOptions: RunContextOptions = {}): Promise<Outcome> {
  const ctx = new RunContext(contextOptions);
  const rejects: RejectedRow[] = [];
  const warnings: RowWarning[] = [];
  ctx.events.on('reject', (row) => rejects.push({ ...row, fields: { ...row.fields } }));
  ctx.events.on('warning', (warning) => warnings.push(warning));
  const batches: Batch[] = [];
  let error: unknown;
  try {
    await runBatchPipeline({ ...options, threads }, ctx, discardBatches((batch) => batches.push(batch)));
  } catch (caught) {
    const { code, message, context } = caught as { code?: string; message: string; context?: unknown };
    error = { code, message, context };
  }
  return {
    batches: batches.map((b) => ({ body: b.body.toString('latin1'), rows: b.rows, firstLine: b.firstLine, lastLine: b.lastLine, ids: b.ids, origins: b.origins, sha256: b.sha256 })),
    rejects,
    warnings,
    counters: { ...ctx.counters },
    error,
  };
}

async function sameBothWays(t: { deepEqual: (a: unknown, b: unknown, message?: string) => void }, options: Options, contextOptions?: RunContextOptions): Promise<Outcome> {
  const one = await observe(options, 1, contextOptions);
  const two = await observe(options, 2, contextOptions);
  t.deepEqual(two, one);
  return one;
}

test('sample exports: same batches, rejects, warnings, counters and errors on one thread and two, in memory and spilled', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.nat(1000),
        rows: fc.integer({ min: 0, max: 3000 }),
        policy: fc.constantFrom('last' as const, 'first' as const, 'reject' as const),
        spill: fc.boolean(),
        enforce: fc.boolean(),
        onForbiddenChars: fc.constantFrom('reject' as const, 'replace' as const, 'drop' as const),
        maxRows: fc.constantFrom(100, 700, 500_000),
        twoFiles: fc.boolean(),
      }),
      async ({ seed, rows, policy, spill, enforce, onForbiddenChars, maxRows, twoFiles }) => {
        const text = generateText({ rows, seed }).text;
        const inputs = twoFiles ? [file(text), file(generateText({ rows: 500, seed: seed + 1 }).text)] : [file(text)];
        const merge = spill ? { policy, maxMemoryBytes: 50_000, tempDir: root, spillPartitions: 3 } : { policy };
        const options: Options = { inputs, idColumn: 'customer_id', merge, batch: { maxRows }, valuePolicy: { onForbiddenChars } };
        const outcome = await sameBothWays(t, options, { enforceRejectRate: enforce });
        return outcome.counters !== undefined;
      },
    ),
    { numRuns: 12 },
  );
});

test('a mapping runs in the worker: renamed id column, transforms, dropped columns', async (t) => {
  const mapping = parseMapping({
    idColumn: 'thirdPartyId',
    otherColumns: 'drop',
    columns: { customer_id: { rename: 'thirdPartyId' }, email: { transforms: ['trim', 'lowercase', 'sha256'] }, city: true, notes: true },
    constants: { source: 'crm' },
  });
  const outcome = await sameBothWays(t, { inputs: [file(generateText({ rows: 2000, seed: 7 }).text)], idColumn: 'thirdPartyId', mapping });
  t.true(outcome.batches.length > 0);
  t.true(outcome.rejects.length > 0);
});

test('fatal errors keep their code and context: missing id column, unclosed quote', async (t) => {
  const text = generateText({ rows: 3000, seed: 3 }).text;
  const cases: [string, Options, RunContextOptions, ErrorCode][] = [
    ['missing id column', { inputs: [file(text)], idColumn: 'nope' }, {}, ErrorCode.ID_COLUMN_MISSING],
    ['missing id column in an empty second file', { inputs: [file(text), file('a,b\n')], idColumn: 'customer_id' }, {}, ErrorCode.ID_COLUMN_MISSING],
    ['unclosed quote', { inputs: [file(`${text}c-1,"open\n`)], idColumn: 'customer_id' }, {}, ErrorCode.UNCLOSED_QUOTE],
  ];
  for (const [name, options, contextOptions, code] of cases) {
    const outcome = await sameBothWays(t, options, contextOptions);
    t.is((outcome.error as { code?: string } | undefined)?.code, code, name);
  }
});

// Where a fatal error stops a run is not part of the contract for the three below: one thread hands the
// encoder 1000 records at a time and counts them read ahead of validation; the worker's fast lane validates and
// counts each record as it reads it. So the rows merged or rejected before the stop, and the counts in a
// reject-ceiling message, differ; the error and the absence of batches do not.

test('memory budget without spilling: the same error on one thread and two', async (t) => {
  const options: Options = { inputs: [file(generateText({ rows: 3000, seed: 3 }).text)], idColumn: 'customer_id', merge: { maxMemoryBytes: 50_000, spill: false } };
  const one = await observe(options, 1);
  const two = await observe(options, 2);
  t.deepEqual([two.error, two.batches], [one.error, one.batches]);
  t.is((one.error as { code?: string }).code, ErrorCode.MEMORY_BUDGET_EXCEEDED);
});

test('reject ceiling mid-run: it stops the run on one thread and two, before any batch', async (t) => {
  const options: Options = { inputs: [file(generateText({ rows: 3000, seed: 3 }).text)], idColumn: 'customer_id' };
  const one = await observe(options, 1, { maxRejectRate: 0.001 });
  const two = await observe(options, 2, { maxRejectRate: 0.001 });
  for (const outcome of [one, two]) {
    t.is((outcome.error as { code?: string }).code, ErrorCode.REJECT_RATE_EXCEEDED);
    t.deepEqual(outcome.batches, []);
  }
});

test('invalid UTF-8 mid-file: the same error (line and byte offset) on one thread and two, and no batch', async (t) => {
  const text = generateText({ rows: 3000, seed: 3 }).text;
  const options: Options = { inputs: [file(Buffer.concat([Buffer.from(text), Buffer.from([0x61, 0xff, 0x0a])]))], idColumn: 'customer_id' };
  const one = await observe(options, 1);
  const two = await observe(options, 2);
  t.deepEqual([two.error, two.batches, (two.counters as { read: number }).read], [one.error, one.batches, (one.counters as { read: number }).read]);
  t.is((one.error as { code?: string }).code, ErrorCode.INVALID_UTF8);
});

test('an abort mid-run stops the worker and rejects the run', async (t) => {
  const controller = new AbortController();
  const ctx = new RunContext({ signal: controller.signal });
  ctx.events.on('reject', () => controller.abort(new Error('stop')));
  const input = file(generateText({ rows: 20_000, seed: 9 }).text);
  await t.throwsAsync(runBatchPipeline({ inputs: [input], idColumn: 'customer_id', threads: 2 }, ctx, discardBatches()));
  t.true(ctx.counters.read < 20_000);
});

test('threads must be 1 or 2', async (t) => {
  const error = await t.throwsAsync(runBatchPipeline({ inputs: [file('id\n1\n')], idColumn: 'id', threads: 3 as 2 }, new RunContext(), discardBatches()));
  t.is((error as { code?: string }).code, ErrorCode.INVALID_OPTION);
});

test('the worker reads plain files itself and leaves gzip and unreadable inputs to the parser: same outcome either way', async (t) => {
  const text = generateText({ rows: 2000, seed: 11 }).text;
  const gzipped = await sameBothWays(t, { inputs: [file(gzipSync(text))], idColumn: 'customer_id' });
  const plain = await sameBothWays(t, { inputs: [file(text)], idColumn: 'customer_id' });
  t.deepEqual(
    gzipped.batches.map((batch) => batch.body),
    plain.batches.map((batch) => batch.body),
  );
  const directory = join(root, 'a-directory.csv');
  mkdirSync(directory);
  const missing = await sameBothWays(t, { inputs: [join(root, 'missing.csv')], idColumn: 'customer_id' });
  const notAFile = await sameBothWays(t, { inputs: [directory], idColumn: 'customer_id' });
  t.is((missing.error as { code?: string }).code, ErrorCode.INPUT_UNREADABLE);
  t.is((notAFile.error as { code?: string }).code, ErrorCode.INPUT_UNREADABLE);
});

/**
 * CSV of `rows` rows grouped by id (each id's rows together), some ids repeated, some rows rejected. Columns
 * empty on different rows, and one that only fills in the second half, so folds make merged shapes while the
 * worker is still sending new ones (the two registries must be kept apart).
 */
function groupedExport(rows: number, seed: number): string {
  const lines = ['id,name,city,note,tier'];
  let id = 0;
  for (let i = 0; i < rows; i++) {
    if ((i * 7 + seed) % 3 !== 0) id++; // a third of the rows repeat the previous id
    const note = i % 97 === 0 ? '"has, comma"' : i % 13 === 0 ? '' : `n${(i * seed) % 50}`;
    const key = i % 211 === 0 ? '' : `k-${String(id).padStart(6, '0')}`;
    const tier = i < rows / 2 || i % 3 === 0 ? '' : `t${i % 4}`;
    lines.push(`${key},${i % 5 === 0 ? '' : `name${i % 7}`},${i % 4 === 0 ? 'Zürich' : ''},${note},${tier}`);
  }
  return `${lines.join('\n')}\n`;
}

test('--presorted reads through the worker: the same batches, rejects, counters on one thread and two, under every policy', async (t) => {
  for (const policy of ['last', 'first', 'reject'] as const) {
    for (const seed of [1, 2]) {
      const input = file(groupedExport(6000, seed));
      const one = await sameBothWays(t, { inputs: [input], idColumn: 'id', merge: { presorted: true, policy }, batch: { maxRows: 700 } }, { enforceRejectRate: false });
      t.true(one.batches.length >= 3, `${one.batches.length} batches`);
    }
  }
});

test('--presorted on an input that is not grouped: INPUT_NOT_GROUPED naming both lines, and the batches cut before it, on one thread and two', async (t) => {
  const input = file(`${groupedExport(3000, 1)}k-000007,late,,\n`);
  const options: Options = { inputs: [input], idColumn: 'id', merge: { presorted: true }, batch: { maxRows: 500 } };
  const one = await observe(options, 1, { enforceRejectRate: false });
  const two = await observe(options, 2, { enforceRejectRate: false });
  // How far the reading got differs at a fatal stop (docs/scale.md): the error and what was handed on do not.
  t.deepEqual(two.error, one.error);
  t.deepEqual(two.batches, one.batches);
  t.is((one.error as { code?: string }).code, ErrorCode.INPUT_NOT_GROUPED);
  t.is(one.batches.length, 3);
});

test('an export sorted by id, its empty ids first, is not stopped mid-run by the ceiling; a wrong id column still is, early', async (t) => {
  const { text } = generateText({ rows: 30_000, seed: 5 });
  const [header, ...rows] = text.trimEnd().split('\n');
  // 600 rows with an empty id up front: 2 % of the input (with its own ~1.5 % of rejects, under the 5 % ceiling),
  // but all of its first 600 rows.
  const empties = Array.from({ length: 600 }, () => `,${header!.split(',').slice(1).map(() => '').join(',')}`);
  const sorted = file(`${[header, ...empties, ...rows].join('\n')}\n`);
  const one = await sameBothWays(t, { inputs: [sorted], idColumn: 'customer_id' });
  t.is(one.error, undefined);
  t.true(one.batches.length > 0);

  // `company` is mostly empty: as an id column most rows are rejected, and the run stops once the rejects pass 5 %
  // of the whole input, long before its end.
  for (const threads of [1, 2] as const) {
    const wrongColumn = await observe({ inputs: [sorted], idColumn: 'company' }, threads);
    t.is((wrongColumn.error as { code?: string }).code, ErrorCode.REJECT_RATE_EXCEEDED);
    t.true((wrongColumn.counters as { read: number }).read < 30_600 / 4, JSON.stringify(wrongColumn.counters));
  }
});
