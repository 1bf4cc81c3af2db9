/**
 * Which input lines each row of each batch came from, kept on disk: Target names failed rows by id only,
 * and keeping every batch's ids and origins in memory until its status is final would make memory grow with
 * the input. One line per row (`seq TAB id TAB origins`, JSON-escaped), appended as batches go by; the byte
 * range of each batch is remembered so a lookup reads only that batch's section.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { Batch } from '../batch/index.js';
import { rowCursor } from '../batch/batch-rows.js';

/** Text written per write while a batch's rows are appended. */
const WRITE_CHARS = 1 << 20;

export interface IndexedRow {
  readonly id: string;
  readonly origins: readonly RowOrigin[];
}

export class BatchRowIndex {
  private readonly ranges = new Map<number, { start: number; end: number }>();
  private size = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly directory: string,
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the index in a fresh directory under `parent`. @default parent the system temp directory */
  static async create(parent: string = tmpdir()): Promise<BatchRowIndex> {
    try {
      const directory = await mkdtemp(join(parent, 'bulkpipe-rows-'));
      const path = join(directory, 'rows.tsv');
      return new BatchRowIndex(directory, path, await open(path, 'w+'));
    } catch (error) {
      throw new BulkpipeError(ErrorCode.OUTPUT_UNWRITABLE, `Cannot create the row index under ${parent}: ${(error as Error).message}`, {}, { cause: error });
    }
  }

  /**
   * Appends a batch's rows (once per seq; a second add of the same seq is ignored), written a slice at a time
   * from a row cursor: the text of a 270,000-row batch at once was ~25 MB of heap, and its id and origin
   * arrays ~40 MB more.
   */
  add(batch: Batch): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.ranges.has(batch.seq)) return;
      const start = this.size;
      const rows = rowCursor(batch);
      let source = '';
      let sourceJson = '""';
      for (let more = true; more; ) {
        let text = '';
        while (text.length < WRITE_CHARS && (more = rows.next())) {
          let originsJson: string;
          if (rows.origins === undefined) {
            if (rows.source !== source) {
              source = rows.source;
              sourceJson = JSON.stringify(source);
            }
            originsJson = `[[${sourceJson},${rows.line}]]`;
          } else {
            originsJson = JSON.stringify(rows.origins.map((origin) => [origin.source, origin.line]));
          }
          text += `${batch.seq}\t${JSON.stringify(rows.id)}\t${originsJson}\n`;
        }
        const bytes = Buffer.from(text, 'utf8');
        await this.handle.write(bytes, 0, bytes.length, this.size);
        this.size += bytes.length;
      }
      this.ranges.set(batch.seq, { start, end: this.size });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  has(seq: number): boolean {
    return this.ranges.has(seq);
  }

  /** The rows of batch `seq` (only those whose id is in `ids`, when given), in body order. */
  async rows(seq: number, ids?: ReadonlySet<string>): Promise<IndexedRow[]> {
    await this.queue;
    const range = this.ranges.get(seq);
    if (range === undefined || range.end === range.start) return [];
    const found: IndexedRow[] = [];
    const lines = createInterface({ input: createReadStream(this.path, { start: range.start, end: range.end - 1, encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      const [, idJson, originsJson] = line.split('\t');
      const id = JSON.parse(idJson as string) as string;
      if (ids !== undefined && !ids.has(id)) continue;
      const origins = (JSON.parse(originsJson as string) as Array<[string, number]>).map(([source, line]) => ({ source, line }));
      found.push({ id, origins });
    }
    return found;
  }

  /** Closes and deletes the index. */
  async close(): Promise<void> {
    await this.queue;
    await this.handle.close().catch(() => undefined);
    await rm(this.directory, { recursive: true, force: true });
  }
}
