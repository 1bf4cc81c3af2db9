/** Human rendering of an upload run: each batch with its Target status and counts, then the totals. */
import type { UploadReport } from '@bulkpipe/transforms';
import { formatBytes, formatCount } from './format.js';

export function renderUploadReport(report: UploadReport): string {
  const lines: string[] = [];
  const { totals } = report;
  lines.push(
    `  Target (${report.apiVersion}${report.resumed ? ', resumed' : ''}): ${formatCount(totals.batches)} batches — ` +
      [
        `${totals.complete} complete`,
        totals.accepted + totals.resumed - totals.complete - totals.stuck - totals.unknown - totals.incomplete > 0
          ? `${totals.accepted + totals.resumed - totals.complete - totals.stuck - totals.unknown - totals.incomplete} accepted`
          : undefined,
        totals.incomplete > 0 ? `${totals.incomplete} still processing` : undefined,
        totals.stuck > 0 ? `${totals.stuck} stuck` : undefined,
        totals.unknown > 0 ? `${totals.unknown} status unknown` : undefined,
        totals.failed > 0 ? `${totals.failed} failed` : undefined,
        totals.resumed > 0 ? `${totals.resumed} not re-sent (accepted by an earlier run)` : undefined,
      ]
        .filter((part) => part !== undefined)
        .join(', '),
  );
  for (const batch of report.batches) {
    const counts = Object.entries(batch.counts)
      .map(([name, value]) => `${name} ${formatCount(value)}`)
      .join(', ');
    lines.push(
      `    #${batch.seq} ${batch.state}${batch.resumed ? ' (resumed)' : ''}: ${formatCount(batch.rows)} rows, ${formatBytes(batch.bytes)}, ` +
        `lines ${batch.firstLine.line}–${batch.lastLine.line}` +
        (batch.batchId !== undefined ? `, batchId ${batch.batchId}` : '') +
        (counts !== '' ? ` — ${counts}` : '') +
        (batch.error !== undefined ? ` — ${batch.error.code}: ${batch.error.message}` : '') +
        (batch.timedOut ? ' — status deadline passed' : ''),
    );
    for (const problem of batch.discrepancies) lines.push(`      ! ${problem}`);
  }
  if (totals.failedRows > 0 || totals.profilesNotFound > 0) {
    lines.push(`  rows Target did not apply: ${formatCount(totals.failedRows)} failed, ${formatCount(totals.profilesNotFound)} profiles not found (v1)`);
  }
  if (report.failedCsvPath !== undefined && totals.failedLines > 0) lines.push(`  failed input lines: ${formatCount(totals.failedLines)} in ${report.failedCsvPath}`);
  if (report.journalPath !== undefined) lines.push(`  journal: ${report.journalPath}`);
  lines.push(`  outcome: ${report.outcome}`);
  return lines.join('\n');
}
