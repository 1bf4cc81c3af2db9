/**
 * The bounded merge at scale (issue 5): `bulkpipe split` with every default, with a small budget that forces
 * the spill, and `--presorted` on a grouped copy, against the naive csv-parse pipeline — interleaved in the
 * same run, median wall time and peak RSS per variant. Checks that every split variant wrote the same batch
 * files (sha256 of each) and rejects.csv as the first split variant.
 *
 *   node --import=tsx bench/src/scale/scale-bench.ts <export.csv> [grouped.csv]
 *
 * Environment: SCALE_REPEAT (runs per variant, default 3), SCALE_ONLY (comma-separated variant names),
 * SCALE_TEMP_DIR (the spill's --temp-dir). The grouped copy comes from scale/group-by-id.ts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { naivePipeline } from '../benchmarks.js';
import type { BenchContext } from '../benchmark.js';
import type { SampleExportStats } from '../reference-export.js';
import { runCommand } from '../run-command.js';
import type { CommandSpec } from '../benchmark.js';

const [input, grouped] = process.argv.slice(2);
if (input === undefined) throw new Error('usage: scale-bench.ts <export.csv> [grouped.csv]');
const repeat = Number(process.env.SCALE_REPEAT ?? 3);
const only = process.env.SCALE_ONLY?.split(',').map((name) => name.trim());
const repoRoot = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
const workDir = join(repoRoot, 'bench', 'out', 'scale'); // under bench/: the naive script resolves csv-parse from there
const bin = join(repoRoot, 'packages', 'cli', 'bundle', 'bin.js');
const split =
  (file: string, extra: string[]) =>
  (outDir: string): CommandSpec => ({
  kind: 'node',
  args: [bin, 'split', file, '--out', outDir, '--id-column', 'customer_id', ...extra],
});

interface Variant {
  readonly name: string;
  readonly command: (outDir: string) => CommandSpec;
  /** Compared with the first split variant's files. */
  readonly compare: boolean;
}

const context: BenchContext = { repoRoot, input, inputStats: {} as SampleExportStats, idColumn: 'customer_id', outDir: '', workDir };
await mkdir(workDir, { recursive: true });
await naivePipeline.setup!(context);
const tempDir = process.env.SCALE_TEMP_DIR ?? tmpdir();
const variants: Variant[] = [
  { name: 'naive csv-parse', command: (outDir: string) => naivePipeline.command({ ...context, outDir }), compare: false },
  { name: 'split (defaults)', command: split(input, []), compare: true },
  { name: 'split --memory 64MiB (spills)', command: split(input, ['--memory', '64MiB', '--temp-dir', tempDir]), compare: true },
  ...(grouped !== undefined ? [{ name: 'split --presorted (grouped copy)', command: split(grouped, ['--presorted']), compare: false } satisfies Variant] : []),
].filter((variant) => only === undefined || only.includes(variant.name));

async function digest(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((file) => file.startsWith('batch-') || file === 'rejects.csv').sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file} ${createHash('sha256').update(await readFile(join(dir, file))).digest('hex')}\n`);
  return hash.digest('hex');
}

const results = new Map<string, { wallMs: number[]; rssBytes: number[]; digest?: string }>();
for (let round = 0; round < repeat; round++) {
  for (const variant of variants) {
    const outDir = join(workDir, 'out');
    await rm(outDir, { recursive: true, force: true });
    if (!variant.name.startsWith('naive')) await mkdir(dirname(outDir), { recursive: true });
    else await mkdir(outDir, { recursive: true });
    const measured = await runCommand(variant.command(outDir), { cwd: repoRoot, scratchDir: workDir });
    if (measured.exitCode !== 0) throw new Error(`${variant.name} exited ${measured.exitCode}: ${measured.stderr.slice(-2000)}`);
    const entry = results.get(variant.name) ?? { wallMs: [], rssBytes: [] };
    entry.wallMs.push(measured.wallMs);
    entry.rssBytes.push(measured.peakRssBytes ?? Number.NaN);
    if (variant.compare && entry.digest === undefined) entry.digest = await digest(outDir);
    results.set(variant.name, entry);
    process.stderr.write(`scale: ${variant.name} round ${round + 1}: ${(measured.wallMs / 1000).toFixed(2)} s, ${mib(measured.peakRssBytes ?? Number.NaN)}\n`);
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const baseline = median(results.get('naive csv-parse')?.wallMs ?? [Number.NaN]);
const digests = new Set([...results.values()].map((entry) => entry.digest).filter((value) => value !== undefined));
process.stdout.write(`| variant | wall (median of ${repeat}) | peak RSS (median, max) | vs naive |\n|---|---:|---:|---:|\n`);
for (const [name, entry] of results) {
  const wall = median(entry.wallMs);
  process.stdout.write(`| ${name} | ${(wall / 1000).toFixed(2)} s | ${mib(median(entry.rssBytes))}, ${mib(Math.max(...entry.rssBytes))} | ${(baseline / wall).toFixed(2)}× |\n`);
}
process.stdout.write(`\nsplit variants compared: ${digests.size <= 1 ? 'identical batch files and rejects.csv' : 'OUTPUTS DIFFER'}\n`);
await rm(workDir, { recursive: true, force: true });

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
