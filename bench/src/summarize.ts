/** Turns runs into the numbers of the results table: medians, throughput, ratios against the baseline. */
import type { BenchmarkResult } from './run-benchmarks.js';

export interface Summary {
  readonly name: string;
  readonly description: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed, and notes from the output checks. */
  readonly notes: readonly string[];
  readonly runs: number;
  readonly medianWallMs?: number;
  readonly minWallMs?: number;
  readonly maxWallMs?: number;
  readonly rowsPerSecond?: number;
  readonly megabytesPerSecond?: number;
  readonly medianPeakRssBytes?: number;
  readonly maxPeakRssBytes?: number;
  /** Baseline median wall time / this median wall time: how many times faster than the baseline. */
  readonly speedupVsBaseline?: number;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarize(results: readonly BenchmarkResult[], input: { rows: number; bytes: number }, baselineName: string): Summary[] {
  const baseline = results.find((result) => result.name === baselineName);
  const baselineWall = baseline?.failed === undefined ? median(baseline?.runs.map((run) => run.wallMs) ?? []) : undefined;
  return results.map((result) => {
    const status = result.skipped !== undefined ? 'skipped' : result.failed !== undefined ? 'failed' : 'ok';
    const notes = [result.skipped, result.failed, ...result.notes].filter((note): note is string => note !== undefined);
    if (status !== 'ok' || result.runs.length === 0) return { name: result.name, description: result.description, status, notes, runs: result.runs.length };
    const walls = result.runs.map((run) => run.wallMs);
    const rss = result.runs.flatMap((run) => (run.peakRssBytes === undefined ? [] : [run.peakRssBytes]));
    const medianWallMs = median(walls) as number;
    return {
      name: result.name,
      description: result.description,
      status,
      notes,
      runs: result.runs.length,
      medianWallMs,
      minWallMs: Math.min(...walls),
      maxWallMs: Math.max(...walls),
      rowsPerSecond: input.rows / (medianWallMs / 1000),
      megabytesPerSecond: input.bytes / 1e6 / (medianWallMs / 1000),
      ...(rss.length > 0 ? { medianPeakRssBytes: median(rss) as number, maxPeakRssBytes: Math.max(...rss) } : {}),
      ...(baselineWall !== undefined ? { speedupVsBaseline: baselineWall / medianWallMs } : {}),
    };
  });
}
