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
import { copySpan } from '../byte-spans.js';

/** Bytes written per write while a batch's rows are appended. */
const WRITE_BYTES = 1 << 20;
/** Digits of the largest line number (Number.MAX_SAFE_INTEGER). */
const MAX_LINE_DIGITS = 16;

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
   * from a row cursor. Most lines are put together from bytes — the id copied from the body, the source's JSON
   * made once — for the text of a 270,000-row batch cost ~250 ms of the main thread per batch as strings.
   */
  add(batch: Batch): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.ranges.has(batch.seq)) return;
      const start = this.size;
      const rows = rowCursor(batch);
      const lead = Buffer.from(`${batch.seq}\t"`, 'latin1');
      let source: string | undefined;
      let sourcePart = Buffer.alloc(0);
      let out = Buffer.allocUnsafe(WRITE_BYTES);
      let at = 0;
      const flush = async (): Promise<void> => {
        await this.handle.write(out, 0, at, this.size);
        this.size += at;
        at = 0;
      };
      while (rows.next()) {
        const idBuffer = rows.idBuffer;
        if (idBuffer !== undefined && rows.origins === undefined) {
          // The raw id is its encoded text (unreserved characters only: nothing to escape in JSON).
          if (rows.source !== source) {
            source = rows.source;
            sourcePart = Buffer.from(`"\t[[${JSON.stringify(source)},`, 'utf8');
          }
          const bytes = lead.length + (rows.idTo - rows.idFrom) + sourcePart.length + MAX_LINE_DIGITS + 3;
          if (at + bytes > out.length) {
            await flush();
            if (bytes > out.length) out = Buffer.allocUnsafe(bytes);
          }
          at = copySpan(lead, 0, lead.length, out, at);
          at = copySpan(idBuffer, rows.idFrom, rows.idTo, out, at);
          at = copySpan(sourcePart, 0, sourcePart.length, out, at);
          at = writeDigits(out, at, rows.line);
          out[at++] = 0x5d; // ]
          out[at++] = 0x5d;
          out[at++] = 0x0a;
          continue;
        }
        const origins = rows.origins ?? [{ source: rows.source, line: rows.line }];
        const text = `${batch.seq}\t${JSON.stringify(rows.id)}\t${JSON.stringify(origins.map((origin) => [origin.source, origin.line]))}\n`;
        const bytes = Buffer.byteLength(text, 'utf8');
        if (at + bytes > out.length) {
          await flush();
          if (bytes > out.length) out = Buffer.allocUnsafe(bytes);
        }
        at += out.write(text, at, 'utf8');
      }
      await flush();
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

/** Writes the decimal digits of `value` (a non-negative integer) at `at`; returns the end. */
function writeDigits(out: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}
