/**
 * The shape every benchmark has: a name, an optional availability check and setup, the command to time, and
 * an optional check of its output. The runner (run-benchmarks.ts) times commands in child processes, so a
 * benchmark is only a description; adding Miller or a 10M-row variant is adding an entry to benchmarks.ts.
 */
import type { SampleExportStats } from './reference-export.js';

export interface BenchContext {
  /** Repository root, for paths like packages/cli/bundle/bin.js. */
  readonly repoRoot: string;
  /** The reference export every benchmark reads. */
  readonly input: string;
  readonly inputStats: SampleExportStats;
  /** The id column of the reference export. */
  readonly idColumn: string;
  /** An empty directory for this run's output (emptied before every run). */
  readonly outDir: string;
  /** A directory that survives between runs, for setup artefacts (compiled scripts…). */
  readonly workDir: string;
}

/** A Node script gets the peak-RSS preload; anything else is measured from outside (GNU time or /proc). */
export type CommandSpec =
  | { readonly kind: 'node'; readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  | { readonly kind: 'exec'; readonly file: string; readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> };

/** What a finished run printed, for `check`. */
export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface Benchmark {
  /** Short and stable: it names a row of the results table and filters with BENCH_ONLY. */
  readonly name: string;
  /** One line for the results: what the command does. */
  readonly description: string;
  /** Why it cannot run on this machine (binary missing, not built yet), or undefined when it can. */
  unavailable?(context: BenchContext): Promise<string | undefined>;
  /** Once before the first run (compile a script, warm a cache). Not timed. */
  setup?(context: BenchContext): Promise<void>;
  command(context: BenchContext): CommandSpec;
  /**
   * After each run: throws when the output is wrong (a fast wrong answer is not a result), or returns a note
   * for the results (e.g. a count that differs from what the generator predicted).
   */
  check?(context: BenchContext, output: RunOutput): Promise<string | undefined>;
}
