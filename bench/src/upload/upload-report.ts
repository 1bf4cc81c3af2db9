/** The upload benchmark's markdown section, and its place in bench/RESULTS.md (between its own markers). */
import { readFile, writeFile } from 'node:fs/promises';
import type { MachineInfo } from '../machine.js';
import type { ReferenceExport } from '../reference-export.js';
import type { UploadTimeline } from './upload-timeline.js';

export interface UploadReportInput {
  readonly machine: MachineInfo;
  readonly reference: ReferenceExport;
  /** The CSV uploaded instead of the reference export (BENCH_UPLOAD_INPUT), if any. */
  readonly input?: string;
  readonly result: { readonly timeline: UploadTimeline; readonly wallMs: number; readonly peakRssBytes: number | undefined; readonly exitCode: number | null };
  readonly counters: Readonly<Record<string, number>>;
  readonly extraArgs: readonly string[];
  readonly delayMs: number;
  readonly callsPerMinute: number;
  readonly problems: readonly string[];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const share = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–');

export function renderUploadReport(input: UploadReportInput): string {
  const { machine, reference, result, counters, extraArgs, delayMs, callsPerMinute, problems } = input;
  const t = result.timeline;
  const rows = input.input === undefined ? reference.stats.rows : (counters.read ?? 0);
  const sent = counters.sent ?? 0;
  const batches = t.batches;
  // Target's intake at its call budget: a batch per (60 s / calls), whatever the pipeline does
  const targetRowsPerSecond = batches > 0 ? ((sent / batches) * callsPerMinute) / 60 : 0;
  const pipelineRowsPerSecond = t.spanMs > 0 ? (rows * 1000) / t.spanMs : 0;
  const targetMinimumMs = batches > callsPerMinute ? (Math.ceil(batches / callsPerMinute) - 1) * 60_000 : 0;
  const limiterWaits = t.limiterMs > t.noBatchReadyMs;
  const lines = [
    `### \`bulkpipe run\` upload, ${fmt(rows)} rows${extraArgs.length === 0 ? '' : ` (${extraArgs.join(' ')})`} — ${machine.date}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB RAM; ${machine.os}; Node ${machine.node}; load average ${machine.loadAverage.toFixed(1)} at the end (shared machine); commit ${machine.commit}`,
    input.input === undefined
      ? `- Input: the reference export (\`generateSampleExport\`, seed 1): ${fmt(rows)} rows, ${(reference.stats.bytes / 1e6).toFixed(1)} MB.`
      : `- Input: \`${input.input}\` (BENCH_UPLOAD_INPUT): ${fmt(rows)} rows.`,
    `- Target: \`bulkpipe emulator --processing-delay-ms ${delayMs} --rate-limit ${callsPerMinute}\` (in memory) in its own process on the same 2 cores; ` +
      `\`bulkpipe run <input> --client bench --id-column customer_id --calls-per-minute ${callsPerMinute} --no-wait --json${extraArgs.length === 0 ? '' : ` ${extraArgs.join(' ')}`}\` (defaults otherwise).`,
    '- Method: one run; the uploader’s state over time from the run’s own NDJSON event times (bench/src/upload/upload-timeline.ts): ' +
      '*no batch ready* = no submission in flight; *limiter / backoff* = every submission in flight held by the call budget or a retry delay; *sending* = on the wire or being answered.',
    '',
    '| measure | value |',
    '|---|---:|',
    `| wall time, process start to exit | ${seconds(result.wallMs)} |`,
    `| peak RSS of \`bulkpipe run\` | ${result.peakRssBytes === undefined ? 'unknown' : `${fmt(result.peakRssBytes / 1e6)} MB`} |`,
    `| rows read / sent / batches | ${fmt(counters.read ?? 0)} / ${fmt(sent)} / ${fmt(batches)} |`,
    `| first batch submitted after | ${seconds(t.firstBatchAfterMs)} |`,
    `| uploader span (start → last batch accepted) | ${seconds(t.spanMs)} |`,
    `| **no batch ready** (waiting for the pipeline) | **${seconds(t.noBatchReadyMs)} (${share(t.noBatchReadyMs, t.spanMs)})** |`,
    `| a submission slot free (no batch waiting; includes the line above) | ${seconds(t.freeSlotMs)} (${share(t.freeSlotMs, t.spanMs)}) |`,
    `| held by the limiter / backoff | ${seconds(t.limiterMs)} (${share(t.limiterMs, t.spanMs)}) |`,
    `| sending | ${seconds(t.sendingMs)} (${share(t.sendingMs, t.spanMs)}) |`,
    `| after the last answer (report, files) | ${seconds(t.tailMs)} |`,
    `| pipeline rate over the span | ${fmt(pipelineRowsPerSecond)} rows/s |`,
    `| Target’s intake at ${callsPerMinute} calls/min with these batches (${fmt(sent / Math.max(1, batches))} rows each) | ${fmt(targetRowsPerSecond)} rows/s |`,
    `| least time Target’s budget imposes on ${batches} calls | ${seconds(targetMinimumMs)} |`,
    '',
    `Submissions started at (s after start): ${t.submittedAtMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')}.`,
    '',
    `**Verdict (issue 5, “the limiter, not the pipeline, is what waits”): ${problems.length > 0 ? '❌ FAIL (the run failed)' : limiterWaits ? '✅ PASS' : '❌ FAIL'}** — ` +
      `the uploader sat idle for lack of a ready batch ${share(t.noBatchReadyMs, t.spanMs)} of the run and was held by the limiter ${share(t.limiterMs, t.spanMs)}.`,
  ];
  for (const problem of problems) lines.push(`- Problem: ${problem}`);
  return lines.join('\n');
}

const marker = (key: string, edge: 'start' | 'end'): string => `<!-- bench:upload:${key}:${edge} (written by bench:upload; edit outside these markers) -->`;

/** Replaces this key's section between its markers, or appends it before the end of the file. */
export async function updateUploadSection(resultsPath: string, key: string, report: string): Promise<void> {
  const text = await readFile(resultsPath, 'utf8');
  const start = marker(key, 'start');
  const end = marker(key, 'end');
  const block = `${start}\n${report}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next = from !== -1 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(resultsPath, next);
}
