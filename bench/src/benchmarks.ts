/**
 * The benchmarks `pnpm bench` runs, in table order. The first is the baseline every ratio is taken against.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { Benchmark, BenchContext } from './benchmark.js';

const run = promisify(execFile);

export const NAIVE = 'naive csv-parse';
export const SPLIT = 'bulkpipe split';
export const SPLIT_SPILLING = 'bulkpipe split --memory 128MiB';
export const SPLIT_ONE_THREAD = 'bulkpipe split --threads 1';
export const MILLER = 'mlr split';

const naiveScript = (context: BenchContext): string => join(context.workDir, 'naive', 'naive-pipeline.mjs');

export const naivePipeline: Benchmark = {
  name: NAIVE,
  description: 'csv-parse (arrays) → skip empty ids → encodeURIComponent → batch files of ≤ 500,000 rows (bench/src/naive-pipeline.ts)',
  async setup(context) {
    // Transpiled once to plain JavaScript: a TypeScript loader in the timed child would bill the baseline for it.
    const source = await readFile(new URL('./naive-pipeline.ts', import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    // Written under bench/ so that `csv-parse` resolves from bench/node_modules.
    await mkdir(join(context.workDir, 'naive'), { recursive: true });
    await writeFile(naiveScript(context), outputText);
  },
  command: (context) => ({ kind: 'node', args: [naiveScript(context), context.input, context.outDir, context.idColumn] }),
  async check(context, output) {
    const summary = JSON.parse(output.stdout.trim().split('\n').pop() ?? '{}') as { rows?: number; rejected?: number };
    if (summary.rows === undefined || summary.rejected === undefined) throw new Error(`no summary on stdout: ${output.stdout.slice(-200)}`);
    const { rows, invalidIds } = context.inputStats;
    if (summary.rows + summary.rejected !== rows) throw new Error(`read ${summary.rows + summary.rejected} rows of ${rows}`);
    if (summary.rejected !== invalidIds.empty) throw new Error(`skipped ${summary.rejected} rows, the export has ${invalidIds.empty} empty ids`);
    return undefined;
  },
};

const cliBin = (context: BenchContext): string => join(context.repoRoot, 'packages', 'cli', 'bundle', 'bin.js');

/** `bulkpipe split` with the given extra flags; its check compares the manifest with the generator's prediction. */
function splitBenchmark(name: string, description: string, extraArgs: readonly string[]): Benchmark {
  return {
    name,
    description,
    async unavailable(context) {
      try {
        await access(cliBin(context));
      } catch {
        return 'packages/cli/bundle/bin.js is not built yet';
      }
      try {
        await run(process.execPath, [cliBin(context), 'split', '--help'], { cwd: context.repoRoot });
      } catch (error) {
        return `\`bulkpipe split --help\` failed: ${String((error as Error).message).split('\n')[0]}`;
      }
      return undefined;
    },
    command: (context) => ({
      kind: 'node',
      args: [cliBin(context), 'split', context.input, '--out', context.outDir, '--id-column', context.idColumn, ...extraArgs],
    }),
    async check(context) {
      const manifest = JSON.parse(await readFile(join(context.outDir, 'manifest.json'), 'utf8')) as { batches?: { rows: number }[] };
      if (!Array.isArray(manifest.batches) || manifest.batches.length === 0) throw new Error('manifest.json lists no batches');
      const sent = manifest.batches.reduce((sum, batch) => sum + batch.rows, 0);
      const expected = context.inputStats.expectedDefaultOutcome.sent;
      // A mismatch is reported, not fatal: either split or the generator's prediction is wrong, and both are news.
      return sent === expected ? undefined : `sent ${sent} rows; the generator predicts ${expected}`;
    },
  };
}

/** The command as a user runs it: every default (the targets are judged on this one). */
export const bulkpipeSplit = splitBenchmark(
  SPLIT,
  '`bulkpipe split <input> --out <dir> --id-column customer_id`, defaults: validation (thirdPartyId rules, commas/LF rejected), merge by id in memory (256 MB budget), batches < 50 MB and ≤ 500,000 rows, parse + validate + encode in a worker thread',
  [],
);

/** The same pipeline on one thread: what the parse/encode worker buys (issue 5, "both cores"). */
export const bulkpipeSplitOneThread = splitBenchmark(SPLIT_ONE_THREAD, 'the same on one thread (`--threads 1`): parse, validate and encode share the main thread with the merge', ['--threads', '1']);

/** The same pipeline with a merge budget below what 1M rows need: the merge spills to disk (issue 5). */
export const bulkpipeSplitSpilling = splitBenchmark(
  SPLIT_SPILLING,
  'the same with `--memory 128MiB`: the merge spills to temporary files past its budget (same batches, less memory)',
  ['--memory', '128MiB'],
);

export const millerSplit: Benchmark = {
  name: MILLER,
  description: 'Miller `mlr --csv split -n 500000` (no validation, encoding or merge; Debian package `miller`)',
  unavailable: () => ensureMiller(),
  command: (context) => ({
    kind: 'exec',
    file: 'mlr',
    args: ['--csv', 'split', '-n', '500000', '--prefix', join(context.outDir, 'split'), context.input],
  }),
  async check(context) {
    const files = (await readdir(context.outDir)).filter((name) => name.startsWith('split'));
    const expected = Math.ceil(context.inputStats.rows / 500_000);
    if (files.length !== expected) throw new Error(`wrote ${files.length} files, expected ${expected}`);
    return undefined;
  },
};

/**
 * Miller, installed on the way when it is missing and this is root on a Debian-like system (`apt-get install -y
 * miller`, once per bench run); otherwise the benchmark is skipped with the reason. BENCH_NO_INSTALL=1 never installs.
 */
let millerCheck: Promise<string | undefined> | undefined;
function ensureMiller(): Promise<string | undefined> {
  millerCheck ??= (async () => {
    if (await hasMiller()) return undefined;
    if (process.env.BENCH_NO_INSTALL === '1') return 'mlr is not installed (apt-get install miller); BENCH_NO_INSTALL=1 left it so';
    if (process.getuid?.() !== 0) return 'mlr is not installed and this is not root: run `sudo apt-get install -y miller` to include it';
    try {
      process.stderr.write('bench: mlr is missing; apt-get install -y miller\n');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      // the package lists may be empty in a fresh container: update once if the first attempt fails
      await run('apt-get', ['install', '-y', '--no-install-recommends', 'miller'], { env, timeout: 300_000 }).catch(async () => {
        await run('apt-get', ['update'], { env, timeout: 300_000 });
        await run('apt-get', ['install', '-y', '--no-install-recommends', 'miller'], { env, timeout: 300_000 });
      });
    } catch (error) {
      return `mlr is not installed and \`apt-get install -y miller\` failed: ${String((error as Error).message).split('\n')[0]}`;
    }
    return (await hasMiller()) ? undefined : 'mlr is still missing after apt-get install miller';
  })();
  return millerCheck;
}

async function hasMiller(): Promise<boolean> {
  try {
    await run('mlr', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export const BENCHMARKS: readonly Benchmark[] = [naivePipeline, bulkpipeSplit, bulkpipeSplitOneThread, bulkpipeSplitSpilling, millerSplit];
