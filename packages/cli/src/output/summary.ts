/** The run summary: one plain object (for manifest.json and `--json`) and its human rendering. */
import { formatPercent } from '@bulkpipe/transforms';
import type { CodeTally, RunContext, RunCounters, SpillReport } from '@bulkpipe/transforms';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';

export interface CodeSummary {
  count: number;
  examples: { source: string; line: number; id?: string; message: string }[];
}

export interface BatchSummary {
  file?: string;
  seq: number;
  rows: number;
  bytes: number;
  sha256: string;
  firstLine: number;
  lastLine: number;
}

export interface RunSummary {
  command: string;
  inputs: string[];
  counters: RunCounters;
  /** read = rejected + merged + sent */
  booksBalance: boolean;
  rejectRate: number;
  maxRejectRate: number;
  rejectsByCode: Record<string, CodeSummary>;
  warningsByCode: Record<string, CodeSummary>;
  durationMs: number;
  rowsPerSecond: number;
  batches: BatchSummary[];
  /** Set when the merge passed its memory budget (`--memory`) and spilled to temporary files. */
  spill?: SpillReport;
  /** Set when the run stopped on a fatal error: the books cover only what was read until then. */
  stoppedBy?: string;
}

function summarizeTallies(map: Map<string, CodeTally<{ source: string; line: number; id?: string; message: string }>>): Record<string, CodeSummary> {
  const result: Record<string, CodeSummary> = {};
  const sorted = [...map.entries()].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  for (const [code, tally] of sorted) {
    result[code] = {
      count: tally.count,
      examples: tally.examples.map(({ source, line, id, message }) => (id === undefined ? { source, line, message } : { source, line, id, message })),
    };
  }
  return result;
}

export function buildSummary(command: string, inputs: string[], ctx: RunContext, startedAt: number, batches: BatchSummary[], stoppedBy?: string): RunSummary {
  const durationMs = Math.max(1, ctx.clock.now() - startedAt);
  const { read, rejected } = ctx.counters;
  return {
    command,
    inputs,
    counters: { ...ctx.counters },
    booksBalance: ctx.booksBalance(),
    rejectRate: read === 0 ? 0 : rejected / read,
    maxRejectRate: ctx.maxRejectRate,
    rejectsByCode: summarizeTallies(ctx.rejectsByCode),
    warningsByCode: summarizeTallies(ctx.warningsByCode),
    durationMs,
    rowsPerSecond: (read / durationMs) * 1000,
    batches,
    ...(ctx.spill !== undefined ? { spill: { ...ctx.spill } } : {}),
    ...(stoppedBy !== undefined ? { stoppedBy } : {}),
  };
}

/** Multi-line human report, printed on stderr at the end of a run. */
export function renderSummary(summary: RunSummary): string {
  const { read, rejected, merged, sent, bytesRead, batches, warnings } = summary.counters;
  const lines: string[] = [];
  lines.push(
    `${formatCount(read)} rows read from ${summary.inputs.length} input${summary.inputs.length === 1 ? '' : 's'} (${formatBytes(bytesRead)}) ` +
      `in ${formatDuration(summary.durationMs)} (${formatRate(summary.rowsPerSecond)} rows/s)`,
  );
  lines.push(
    `  read ${formatCount(read)} = rejected ${formatCount(rejected)} + merged ${formatCount(merged)} + sent ${formatCount(sent)}  ` +
      (summary.stoppedBy !== undefined ? `(stopped early: ${summary.stoppedBy})` : summary.booksBalance ? 'books balance' : 'BOOKS DO NOT BALANCE'),
  );
  lines.push(`  reject rate ${formatPercent(summary.rejectRate)} (ceiling ${formatPercent(summary.maxRejectRate)}), ${formatCount(warnings)} warnings`);
  const spill = summary.spill;
  if (spill !== undefined) {
    lines.push(
      `  merge passed its ${+(spill.budgetBytes / 1024 / 1024).toFixed(1)} MiB budget (--memory): ${formatCount(spill.idsKept)} ids kept in memory, ` +
        `${formatBytes(spill.spilledBytes)} written to temporary files for the rest`,
    );
  }
  // An upload run lists its batches with their Target status in its own report instead.
  if (summary.batches.length > 0 || batches === 0) lines.push(`  ${formatCount(batches)} batch${batches === 1 ? '' : 'es'}`);
  for (const batch of summary.batches) {
    lines.push(
      `    ${batch.file ?? `#${batch.seq}`}: ${formatCount(batch.rows)} rows, ${formatBytes(batch.bytes)}, lines ${batch.firstLine}–${batch.lastLine}, sha256 ${batch.sha256.slice(0, 12)}…`,
    );
  }
  renderCodes(lines, 'rejects by code', summary.rejectsByCode);
  renderCodes(lines, 'warnings by code', summary.warningsByCode);
  return lines.join('\n');
}

function renderCodes(lines: string[], title: string, codes: Record<string, CodeSummary>): void {
  const entries = Object.entries(codes);
  if (entries.length === 0) return;
  lines.push(`  ${title}:`);
  for (const [code, { count, examples }] of entries) {
    lines.push(`    ${code}: ${formatCount(count)}`);
    for (const example of examples) {
      lines.push(`      ${example.source}:${example.line}${example.id !== undefined ? ` id=${truncate(example.id, 40)}` : ''} — ${example.message}`);
    }
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}…`;
}
