/**
 * The baseline: the script users hand-roll today to turn a CSV export into Target batch files.
 * csv-parse → skip rows without an id → encodeURIComponent every cell → batch files of at most 500,000 rows.
 * No merge by id, no other id or value rules, no byte cap: it does less than `bulkpipe split`, on purpose.
 *
 * It is honest, not a straw man: arrays rather than objects from csv-parse (the faster mode), output written
 * in 64 KB strings with backpressure honoured, one pass. Run as a child process by the benchmark, after
 * being transpiled to plain JavaScript so no TypeScript loader runs inside the timed process:
 *   node naive-pipeline.mjs <input.csv> <out-dir> <id-column>
 * It prints a JSON summary { rows, rejected, batches } on stdout.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';

const MAX_ROWS_PER_BATCH = 500_000;
const WRITE_CHUNK_CHARS = 64 * 1024;

export interface NaiveSummary {
  rows: number;
  rejected: number;
  batches: number;
}

export async function runNaivePipeline(input: string, outDir: string, idColumn: string): Promise<NaiveSummary> {
  await mkdir(outDir, { recursive: true });
  const summary: NaiveSummary = { rows: 0, rejected: 0, batches: 0 };
  let idIndex = -1;
  let batchHeader = '';
  let out: WriteStream | undefined;
  let rowsInBatch = 0;
  let pending = '';

  const write = async (text: string): Promise<void> => {
    if (out !== undefined && !out.write(text)) await once(out, 'drain');
  };
  const closeBatch = async (): Promise<void> => {
    if (out === undefined) return;
    await write(pending);
    pending = '';
    out.end();
    await once(out, 'finish');
    out = undefined;
  };

  await pipeline(createReadStream(input), parse({ bom: true }), async (records: AsyncIterable<string[]>) => {
    for await (const record of records) {
      if (idIndex < 0) {
        idIndex = record.indexOf(idColumn);
        if (idIndex < 0) throw new Error(`no column ${idColumn} in the header`);
        const names = record.filter((_, i) => i !== idIndex).map(encodeURIComponent);
        batchHeader = `batch=thirdPartyId,${names.join(',')}\n`;
        continue;
      }
      const id = record[idIndex];
      if (!id) {
        summary.rejected++;
        continue;
      }
      if (out === undefined || rowsInBatch === MAX_ROWS_PER_BATCH) {
        await closeBatch();
        summary.batches++;
        out = createWriteStream(join(outDir, `batch-${String(summary.batches).padStart(5, '0')}.txt`));
        rowsInBatch = 0;
        pending = batchHeader;
      }
      let line = encodeURIComponent(id);
      for (let i = 0; i < record.length; i++) if (i !== idIndex) line += ',' + encodeURIComponent(record[i] ?? '');
      pending += line + '\n';
      rowsInBatch++;
      summary.rows++;
      if (pending.length >= WRITE_CHUNK_CHARS) {
        await write(pending);
        pending = '';
      }
    }
    await closeBatch();
  });
  return summary;
}

const [input, outDir, idColumn] = process.argv.slice(2);
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  if (input === undefined || outDir === undefined) throw new Error('usage: naive-pipeline <input.csv> <out-dir> [id-column]');
  const summary = await runNaivePipeline(input, outDir, idColumn ?? 'customer_id');
  process.stdout.write(JSON.stringify(summary) + '\n');
}
