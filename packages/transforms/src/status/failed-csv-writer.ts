/**
 * failed.csv: one line per input line whose row Target did not apply — ids a v2 status lists as failed, and
 * every row of a batch that failed, went `stuck`, or whose status is unknown — so they can be fixed and sent
 * again. Columns `line,id,batchSeq,status,source`, like rejects.csv, with formula-looking cells neutralised.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import { neutraliseCell } from '../rejects/neutralise-cell.js';

export const FAILED_COLUMNS = ['line', 'id', 'batchSeq', 'status', 'source'] as const;

export interface FailedLine {
  /** Empty when the input line is not known (a status read from a journal alone). */
  readonly line?: number;
  readonly id: string;
  readonly batchSeq: number;
  /** Target's per-row status (`failed`), or the batch's fate (`stuck`, `unknown`, `submit-failed`). */
  readonly status: string;
  readonly source?: string;
}

export class FailedCsvWriter {
  private lines = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates (or truncates) the file and writes the header line. */
  static async create(path: string): Promise<FailedCsvWriter> {
    try {
      const handle = await open(path, 'w');
      const writer = new FailedCsvWriter(path, handle);
      await writer.writeRows([[...FAILED_COLUMNS]]);
      return writer;
    } catch (error) {
      throw unwritable(path, error);
    }
  }

  /** Lines written so far (header excluded). */
  get written(): number {
    return this.lines;
  }

  async write(lines: readonly FailedLine[]): Promise<void> {
    if (lines.length === 0) return;
    const rows = lines.map((failed) => [failed.line === undefined ? '' : String(failed.line), failed.id, String(failed.batchSeq), failed.status, failed.source ?? ''].map(neutraliseCell));
    await this.writeRows(rows);
    this.lines += lines.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async writeRows(rows: string[][]): Promise<void> {
    try {
      await this.handle.write(stringify(rows));
    } catch (error) {
      throw unwritable(this.path, error);
    }
  }
}

function unwritable(path: string, cause: unknown): BulkpipeError {
  return new BulkpipeError(ErrorCode.OUTPUT_UNWRITABLE, `Cannot write the failed-rows file ${path}: ${(cause as Error).message}`, {}, { cause });
}
