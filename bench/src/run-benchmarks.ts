/**
 * The runner: set up each available benchmark once, then run them interleaved (A B C, B C A, C A B, …) so
 * that drift on a shared machine spreads over all of them, and summarise each by its median run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Benchmark, BenchContext } from './benchmark.js';
import { runCommand } from './run-command.js';
import type { Measurement } from './run-command.js';

export interface BenchmarkResult {
  readonly name: string;
  readonly description: string;
  /** Set when the benchmark did not run; the other fields are then empty. */
  readonly skipped?: string;
  /** Set when a run failed or its output was wrong; its timings are not reported. */
  readonly failed?: string;
  readonly runs: readonly Measurement[];
  /** Notes from the output checks, deduplicated. */
  readonly notes: readonly string[];
}

export interface RunnerOptions {
  readonly repeat: number;
  /** Called before and after each run, for progress lines. */
  readonly log: (line: string) => void;
}

type SharedContext = Omit<BenchContext, 'outDir'>;

export async function runBenchmarks(benchmarks: readonly Benchmark[], shared: SharedContext, options: RunnerOptions): Promise<BenchmarkResult[]> {
  const state = new Map<Benchmark, { skipped?: string; failed?: string; runs: Measurement[]; notes: Set<string>; context: BenchContext }>();
  for (const benchmark of benchmarks) {
    const context: BenchContext = { ...shared, outDir: join(shared.workDir, 'runs', slug(benchmark.name)) };
    const entry: { skipped?: string; runs: Measurement[]; notes: Set<string>; context: BenchContext } = { runs: [], notes: new Set(), context };
    entry.skipped = await benchmark.unavailable?.(context);
    if (entry.skipped === undefined) await benchmark.setup?.(context);
    else options.log(`skip ${benchmark.name}: ${entry.skipped}`);
    state.set(benchmark, entry);
  }

  const active = benchmarks.filter((benchmark) => state.get(benchmark)?.skipped === undefined);
  for (let round = 0; round < options.repeat; round++) {
    for (let i = 0; i < active.length; i++) {
      const benchmark = active[(round + i) % active.length] as Benchmark;
      const entry = state.get(benchmark);
      if (entry === undefined || entry.failed !== undefined) continue;
      const { context } = entry;
      await rm(context.outDir, { recursive: true, force: true });
      await mkdir(context.outDir, { recursive: true });
      options.log(`run ${round + 1}/${options.repeat} ${benchmark.name}`);
      const measurement = await runCommand(benchmark.command(context), { cwd: shared.repoRoot, scratchDir: shared.workDir });
      if (measurement.exitCode !== 0) {
        const rss = measurement.peakRssBytes === undefined ? '' : `, peak RSS ${(measurement.peakRssBytes / 1e6).toFixed(0)} MB`;
        entry.failed =
          `exit ${measurement.exitCode ?? measurement.signal} after ${(measurement.wallMs / 1000).toFixed(1)} s${rss}: ` +
          failureReason(measurement.stderr || measurement.stdout);
        options.log(`  failed: ${entry.failed}`);
        continue;
      }
      try {
        const note = await benchmark.check?.(context, measurement);
        if (note !== undefined) entry.notes.add(note);
      } catch (error) {
        entry.failed = `wrong output: ${(error as Error).message}`;
        options.log(`  failed: ${entry.failed}`);
        continue;
      }
      entry.runs.push(measurement);
      const rss = measurement.peakRssBytes === undefined ? '?' : `${(measurement.peakRssBytes / 1e6).toFixed(0)} MB`;
      options.log(`  ${(measurement.wallMs / 1000).toFixed(2)} s, peak RSS ${rss}`);
    }
  }
  // Each benchmark's last output stays in bench/out/runs/<name> for inspection; the next bench run empties it.
  return benchmarks.map((benchmark) => {
    const entry = state.get(benchmark);
    return {
      name: benchmark.name,
      description: benchmark.description,
      ...(entry?.skipped !== undefined ? { skipped: entry.skipped } : {}),
      ...(entry?.failed !== undefined ? { failed: entry.failed } : {}),
      runs: entry?.runs ?? [],
      notes: [...(entry?.notes ?? [])],
    };
  });
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The line that says what went wrong (CLIs print `error:`), else the last lines. */
function failureReason(text: string): string {
  const lines = text.trim().split('\n');
  const error = lines.find((line) => /\berror\b/i.test(line));
  return (error ?? lines.slice(-3).join(' | ')).trim().slice(0, 500);
}
