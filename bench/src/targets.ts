/**
 * The goals the issues set, each checked against the summaries of one run. A target that needs a benchmark
 * which did not run (Miller not installed, the CLI not built, a 10M-row run) is "not measured", never passed.
 */
import { MILLER, NAIVE, SPLIT } from './benchmarks.js';
import type { Summary } from './summarize.js';

export type Verdict = 'pass' | 'FAIL' | 'not measured';

export interface Target {
  readonly issue: string;
  readonly goal: string;
  /** Row count the goal is stated for. */
  readonly rows: number;
  evaluate(summaries: readonly Summary[]): { verdict: Verdict; detail: string };
}

/** Every goal here is about split: judge its failure once, before the goal's own measure. */
function goal(target: Target): Target {
  return { ...target, evaluate: (summaries) => splitFailed(summaries) ?? target.evaluate(summaries) };
}

const MB = 1e6;

function find(summaries: readonly Summary[], name: string): Summary | undefined {
  const summary = summaries.find((candidate) => candidate.name === name);
  return summary?.status === 'ok' ? summary : undefined;
}

/** A goal about `bulkpipe split` fails outright when split ran and failed: a crash meets no target. */
function splitFailed(summaries: readonly Summary[]): { verdict: Verdict; detail: string } | undefined {
  const split = summaries.find((candidate) => candidate.name === SPLIT);
  if (split?.status !== 'failed') return undefined;
  const note = split.notes[0] ?? '';
  const code = /\[([A-Z_]+)\]/.exec(note)?.[1];
  return { verdict: 'FAIL', detail: `split failed${code === undefined ? '' : ` with ${code}`} (see the notes)` };
}

function check(pass: boolean, detail: string): { verdict: Verdict; detail: string } {
  return { verdict: pass ? 'pass' : 'FAIL', detail };
}

const notMeasured = (detail: string): { verdict: Verdict; detail: string } => ({ verdict: 'not measured', detail });

const GOALS: readonly Target[] = [
  {
    issue: 'issue 2',
    goal: '`bulkpipe split` (validation + merge) ≥ 4× the naive csv-parse pipeline',
    rows: 1_000_000,
    evaluate(summaries) {
      const split = find(summaries, SPLIT);
      const naive = find(summaries, NAIVE);
      if (split?.speedupVsBaseline === undefined || naive === undefined) return notMeasured('split or naive did not run');
      return check(split.speedupVsBaseline >= 4, `${split.speedupVsBaseline.toFixed(2)}×`);
    },
  },
  {
    issue: 'issue 2',
    goal: '`bulkpipe split` peak RSS ≤ 400 MB',
    rows: 1_000_000,
    evaluate(summaries) {
      const rss = find(summaries, SPLIT)?.maxPeakRssBytes;
      if (rss === undefined) return notMeasured('split did not run');
      return check(rss <= 400 * MB, `max ${(rss / MB).toFixed(0)} MB over the runs`);
    },
  },
  {
    issue: 'issue 5',
    goal: '`bulkpipe split` ≥ 5× the naive csv-parse pipeline',
    rows: 1_000_000,
    evaluate(summaries) {
      const speedup = find(summaries, SPLIT)?.speedupVsBaseline;
      if (speedup === undefined) return notMeasured('split or naive did not run');
      return check(speedup >= 5, `${speedup.toFixed(2)}×`);
    },
  },
  {
    issue: 'issue 5',
    goal: '`bulkpipe split` ≥ 1.2× the throughput of `mlr --csv split -n 500000`',
    rows: 1_000_000,
    evaluate(summaries) {
      const split = find(summaries, SPLIT);
      const miller = find(summaries, MILLER);
      if (split?.medianWallMs === undefined || miller?.medianWallMs === undefined) return notMeasured('split or Miller did not run');
      const ratio = miller.medianWallMs / split.medianWallMs;
      return check(ratio >= 1.2, `${ratio.toFixed(2)}×`);
    },
  },
  {
    issue: 'issue 5',
    goal: '`bulkpipe split` peak RSS ≤ 1/3 of Miller’s',
    rows: 1_000_000,
    evaluate(summaries) {
      const split = find(summaries, SPLIT)?.maxPeakRssBytes;
      const miller = find(summaries, MILLER)?.medianPeakRssBytes;
      if (split === undefined || miller === undefined) return notMeasured('split or Miller did not run');
      return check(split <= miller / 3, `${(split / MB).toFixed(0)} MB vs Miller ${(miller / MB).toFixed(0)} MB`);
    },
  },
];

export const TARGETS: readonly Target[] = GOALS.map(goal);
