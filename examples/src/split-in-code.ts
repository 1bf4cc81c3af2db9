/**
 * `bulkpipe split` from code: the standard assembly (parse → map → validate → merge → batch) into batch files,
 * with a small batch cap so the example shows several batches.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RunContext, runBatchPipeline, writeBatchFiles } from '@bulkpipe/transforms';

const csv = ['id,city,tier', 'c-1,München,gold', 'c-2,Lyon,', 'c-1,,platinum', 'c-3,"São Paulo",silver', 'c-4,Oslo & Bergen,bronze'].join('\n');
const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-example-'));

const ctx = new RunContext();
const files = writeBatchFiles(dir);
await runBatchPipeline({ inputs: [Readable.from([csv])], idColumn: 'id', batch: { maxRows: 2 } }, ctx, files);

for (const entry of files.entries) {
  console.log(`${entry.file}: ${entry.rows} rows, ${entry.bytes} bytes, lines ${entry.firstLine}-${entry.lastLine}`);
  console.log(readFileSync(join(dir, entry.file), 'utf8'));
}
const { read, rejected, merged, sent } = ctx.counters;
console.log(`read ${read} = rejected ${rejected} + merged ${merged} + sent ${sent}`);
rmSync(dir, { recursive: true });
