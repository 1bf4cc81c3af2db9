/** Options of the parse stage, resolved once into a frozen normalized form. */
import { invalidOption } from '@bulkpipe/core';

export interface ParseOptions {
  /**
   * Field delimiter: any single character except `"`, CR and LF. When absent it is sniffed from the header
   * line: the most frequent of `,` `;` `\t` `|` outside quotes (a tie or none → `,`).
   * @default sniffed
   */
  delimiter?: string;
  /**
   * Largest record, in UTF-8 bytes, before parsing stops with RECORD_TOO_LARGE naming the line where the
   * record started. It bounds memory when an unbalanced quote would otherwise swallow the rest of the input.
   * @default 16 MiB (16_777_216)
   */
  maxRecordBytes?: number;
  /** The name records, rejects and errors carry as their `source`. @default the path, 'stdin' for '-', else 'stream' */
  sourceLabel?: string;
  /** Records per emitted array. @default 1000 */
  recordsPerChunk?: number;
  /**
   * Called with the input's header as soon as it is read, before any record: lets a pipeline check its
   * configuration (the id column, a mapping) even for an input that has no records. Throwing stops the parse.
   */
  onHeader?: (columns: readonly string[], source: string) => void;
}

export interface ResolvedParseOptions {
  readonly delimiter: string | undefined;
  readonly maxRecordBytes: number;
  readonly sourceLabel: string | undefined;
  readonly recordsPerChunk: number;
  readonly onHeader: ((columns: readonly string[], source: string) => void) | undefined;
}

export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
export const DEFAULT_RECORDS_PER_CHUNK = 1000;

export function resolveParseOptions(options: ParseOptions = {}): ResolvedParseOptions {
  const { delimiter, sourceLabel } = options;
  if (delimiter !== undefined && (typeof delimiter !== 'string' || delimiter.length !== 1 || /["\r\n]/.test(delimiter))) {
    throw invalidOption('delimiter', 'a single character other than `"`, CR and LF', delimiter);
  }
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) throw invalidOption('maxRecordBytes', 'a positive integer', maxRecordBytes);
  if (sourceLabel !== undefined && (typeof sourceLabel !== 'string' || sourceLabel === '')) {
    throw invalidOption('sourceLabel', 'a non-empty string', sourceLabel);
  }
  const recordsPerChunk = options.recordsPerChunk ?? DEFAULT_RECORDS_PER_CHUNK;
  if (!Number.isSafeInteger(recordsPerChunk) || recordsPerChunk < 1) throw invalidOption('recordsPerChunk', 'a positive integer', recordsPerChunk);
  if (options.onHeader !== undefined && typeof options.onHeader !== 'function') throw invalidOption('onHeader', 'a function', options.onHeader);
  return Object.freeze({ delimiter, maxRecordBytes, sourceLabel, recordsPerChunk, onHeader: options.onHeader });
}
