/** Maps what Target did not apply back to input lines and writes failed.csv. */
import type { BatchProgress } from '../upload/batch-progress.js';
import type { BatchRowIndex } from '../upload/batch-row-index.js';
import { FailedCsvWriter } from './failed-csv-writer.js';
import type { FailedLine } from './failed-csv-writer.js';

/**
 * Which rows of a batch go to failed.csv, and with what status: every row of a batch that failed to submit or
 * went `stuck`; the listed ids of a batch whose status names failed rows. `unknown` (Target forgot the
 * batch) is not a failure and is not listed. Undefined: nothing.
 */
export function failedSelection(batch: BatchProgress): { status: string; ids?: ReadonlySet<string> } | undefined {
  if (batch.submit === 'failed') return { status: `submit-failed:${batch.error?.code ?? 'ERROR'}` };
  const status = batch.status;
  if (status === undefined) return undefined;
  if (status.state === 'stuck') return { status: 'stuck' };
  if (status.failedIds.length > 0) return { status: 'failed', ids: new Set(status.failedIds) };
  return undefined;
}

/** Writes failed.csv (one line per input line) and returns how many lines it holds. */
export async function writeFailedLines(path: string, batches: readonly BatchProgress[], index: BatchRowIndex): Promise<number> {
  const writer = await FailedCsvWriter.create(path);
  try {
    for (const batch of batches) {
      const selection = failedSelection(batch);
      if (selection === undefined) continue;
      const rows = await index.rows(batch.seq, selection.ids);
      const lines: FailedLine[] = [];
      const seen = new Set<string>();
      for (const row of rows) {
        seen.add(row.id);
        for (const origin of row.origins) lines.push({ line: origin.line, id: row.id, batchSeq: batch.seq, status: selection.status, source: origin.source });
      }
      // An id Target names that this batch never held still gets a line: it must not vanish from the report.
      for (const id of selection.ids ?? []) if (!seen.has(id)) lines.push({ id, batchSeq: batch.seq, status: `${selection.status}:not-in-batch` });
      await writer.write(lines);
    }
  } finally {
    await writer.close();
  }
  return writer.written;
}
