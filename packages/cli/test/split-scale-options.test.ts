/** `--memory` past which the merge spills, `--temp-dir`, `--presorted`: through the built binary, as a user runs them. */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { batchOutputs, runCli, sampleExportFixture } from './run-cli.js';

const { work, input } = sampleExportFixture(test, 20_000, 'bulkpipe-cli-scale-');

/** Splits the export in memory and with `--memory budget`; the files must match and the temp dir end empty. */
const spillsLikeMemory = test.macro(async (t, budget: string, name: string) => {
  const spillDir = join(work, `spill-${name}`);
  mkdirSync(spillDir);
  const memory = await runCli(['split', input, '--out', join(work, `memory-${name}`), '--id-column', 'customer_id']);
  const spilled = await runCli(['split', input, '--out', join(work, `spilled-${name}`), '--id-column', 'customer_id', '--memory', budget, '--temp-dir', spillDir]);
  t.is(memory.code, 0, memory.stderr);
  t.is(spilled.code, 0, spilled.stderr);
  t.deepEqual(batchOutputs(join(work, `spilled-${name}`)), batchOutputs(join(work, `memory-${name}`)));
  t.deepEqual(readdirSync(spillDir), []);
  // The summary says the merge spilled, and what it kept and wrote; an in-memory run says nothing of it.
  const summaryOf = (dir: string): { spill?: { budgetBytes: number; idsKept: number; spilledBytes: number } } =>
    (JSON.parse(readFileSync(join(work, dir, 'manifest.json'), 'utf8')) as { summary: { spill?: { budgetBytes: number; idsKept: number; spilledBytes: number } } }).summary;
  t.is(summaryOf(`memory-${name}`).spill, undefined);
  const spill = summaryOf(`spilled-${name}`).spill;
  t.is(spill?.budgetBytes, parseSize(budget));
  // Budgets this small are below one arena buffer (~50 MB): every row goes to disk (see ArenaMerge.startSpill).
  t.true(spill !== undefined && spill.idsKept === 0 && spill.spilledBytes > 0, JSON.stringify(spill));
  t.regex(spilled.stderr, /merge passed its [\d.]+ MiB budget \(--memory\): [\d,]+ ids kept in memory, [\d.]+ [kMG]?B written to temporary files/);
  t.notRegex(memory.stderr, /merge passed its/);
});

/** `1MB` and `2MiB` as the CLI reads them. */
function parseSize(text: string): number {
  const [, number, unit] = /^(\d+)(MB|MiB)$/.exec(text)!;
  return Number(number) * (unit === 'MiB' ? 1024 * 1024 : 1_000_000);
}

test('a budget the merge passes spills to --temp-dir: the same files as in memory, and the temp dir is left empty', spillsLikeMemory, '1MB', 'one-thread');
// From 2 MiB on, the partitions and then their runs are merged on two threads: the bundle starts its partition
// worker and its run-merge worker.
test('a spill with a budget of 2 MiB or more merges its partitions on two threads: the same files', spillsLikeMemory, '2MiB', 'two-threads');

test('--temp-dir that is not a directory is a usage error before anything is read', async (t) => {
  const result = await runCli(['split', input, '--out', join(work, 'bad-temp'), '--id-column', 'customer_id', '--temp-dir', join(work, 'no-such-dir')]);
  t.is(result.code, 2);
  t.regex(result.stderr, /temp-dir.*an existing directory/);
});

test('--presorted on an input that is not grouped by id stops with INPUT_NOT_GROUPED naming both lines', async (t) => {
  const ungrouped = join(work, 'ungrouped.csv');
  writeFileSync(ungrouped, 'id,name\na,1\nb,2\na,3\n');
  const result = await runCli(['split', ungrouped, '--out', join(work, 'ungrouped'), '--id-column', 'id', '--presorted']);
  t.is(result.code, 1);
  t.regex(result.stderr, /id "a" on line 4 appears again .*line 2.*BULKPIPE_INPUT_NOT_GROUPED/);
});

test('--presorted on a grouped input writes the same files as the in-memory merge', async (t) => {
  const grouped = join(work, 'grouped.csv');
  writeFileSync(grouped, 'id,name,city\na,1,\na,,Bern\nb,2,Zug\nc,3,\nc,4,Chur\n');
  const memory = await runCli(['split', grouped, '--out', join(work, 'g-memory'), '--id-column', 'id']);
  const presorted = await runCli(['split', grouped, '--out', join(work, 'g-presorted'), '--id-column', 'id', '--presorted']);
  t.is(presorted.code, 0, presorted.stderr);
  t.deepEqual(batchOutputs(join(work, 'g-presorted')), batchOutputs(join(work, 'g-memory')));
  t.true(memory.code === 0 && Object.keys(batchOutputs(join(work, 'g-memory'))).length === 2);
});
