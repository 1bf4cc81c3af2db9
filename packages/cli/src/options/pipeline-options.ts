/**
 * The options every pipeline command shares (split, validate, run): declared once for yargs, resolved once into
 * the transforms' `BatchPipelineOptions`. Resolution validates everything up front, so a bad configuration stops
 * the run before any input is read.
 */
import { statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ID_TYPES, MAX_BATCH_BYTES, MAX_BATCH_ROWS, invalidOption, BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { IdType } from '@bulkpipe/core';
import { loadMapping } from '@bulkpipe/transforms';
import type { BatchPipelineOptions, Mapping } from '@bulkpipe/transforms';
import { parseFraction, parsePositiveInteger, parseSize } from './units.js';
import { restoreDash } from '../dash-token.js';

export const MERGE_POLICIES = ['last', 'first', 'reject'] as const;
export const FORBIDDEN_CHAR_POLICIES = ['reject', 'replace', 'drop'] as const;

export interface PipelineArgs {
  input: string[];
  idColumn?: string;
  idType?: string;
  mapping?: string;
  delimiter?: string;
  maxRecordBytes?: string | number;
  onForbiddenChars?: string;
  replacement?: string;
  merge?: string;
  memory?: string | number;
  tempDir?: string;
  presorted?: boolean;
  threads?: string | number;
  maxBytes?: string | number;
  maxRows?: string | number;
  maxRejectRate?: string | number;
  json?: boolean;
  config?: string;
}

export function withPipelineOptions<T>(yargs: Argv<T>): Argv<T & PipelineArgs> {
  return yargs
    .positional('input', { describe: 'CSV file(s), .gz detected by content; - for stdin', type: 'string', array: true })
    .option('id-column', { describe: 'Header of the column holding the profile id', type: 'string' })
    .option('id-type', { describe: 'Key of the batch file', choices: ID_TYPES, default: undefined })
    .option('mapping', { describe: 'Mapping file (JSON): keep, drop, rename, constants, trim/lowercase/sha256', type: 'string' })
    .option('delimiter', { describe: 'Field delimiter; sniffed from the header when omitted', type: 'string' })
    .option('max-record-bytes', { describe: 'Largest record allowed (guards against an unbalanced quote)', type: 'string', default: undefined })
    .option('on-forbidden-chars', { describe: 'Commas, CR, LF inside values: reject the row, replace them, or drop the value', choices: FORBIDDEN_CHAR_POLICIES })
    .option('replacement', { describe: 'Replacement for forbidden characters with --on-forbidden-chars replace', type: 'string' })
    .option('merge', { describe: 'Duplicate ids: last non-empty value wins, first wins, or reject conflicts', choices: MERGE_POLICIES })
    .option('memory', { describe: 'Memory budget of the merge by id (e.g. 256MB); past it the merge keeps its first ids in memory and spills the rest to --temp-dir (the summary says how much)', type: 'string' })
    .option('temp-dir', { describe: 'Where the merge spills past --memory (a private directory, removed at the end; default: the OS temp dir)', type: 'string' })
    .option('presorted', { describe: 'Input grouped by id (e.g. sorted): merge in constant memory, batches flow while reading', type: 'boolean' })
    .option('threads', { describe: 'Threads: 2 reads, validates and encodes file inputs and stdin in a worker thread and merges a spill on both; 1 keeps one', type: 'string' })
    .option('max-bytes', { describe: `Batch body size cap, exclusive (default ${MAX_BATCH_BYTES})`, type: 'string' })
    .option('max-rows', { describe: `Rows per batch cap (default ${MAX_BATCH_ROWS})`, type: 'string' })
    .option('max-reject-rate', { describe: 'Stop when more rows than this are rejected (5% or 0.05)', type: 'string' })
    .option('json', { describe: 'NDJSON events on stdout instead of human progress', type: 'boolean', default: false })
    .option('config', { describe: 'Options file (default: ./bulkpipe.config.json when present); flags override it', type: 'string' }) as unknown as Argv<T & PipelineArgs>;
}

export interface ResolvedPipeline {
  pipeline: BatchPipelineOptions;
  inputs: string[];
  maxRejectRate: number;
  /** Sum of the input files' sizes, for progress; undefined when stdin is among them. */
  totalBytes: number | undefined;
}

function oneOf<T extends string>(option: string, allowed: readonly T[], value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidOption(option, `one of ${allowed.join(', ')}`, value);
}

/** Checks and normalizes the shared options. Throws a coded usage error (exit 2) on the first problem. */
export function resolvePipelineArgs(args: PipelineArgs): ResolvedPipeline {
  const inputs = restoreDash(args.input ?? []).map(String);
  if (inputs.length === 0) throw invalidOption('input', 'at least one input file or - for stdin', inputs);
  let totalBytes: number | undefined = 0;
  for (const input of inputs) {
    if (input === '-') {
      totalBytes = undefined;
      continue;
    }
    try {
      const stat = statSync(input);
      if (stat.isDirectory()) throw new Error('is a directory');
      if (totalBytes !== undefined) totalBytes += stat.size;
    } catch (error) {
      throw new BulkpipeError(ErrorCode.INPUT_UNREADABLE, `Cannot read input ${input}: ${(error as Error).message}`, { source: input }, { cause: error });
    }
  }
  if (inputs.filter((input) => input === '-').length > 1) throw invalidOption('input', 'stdin (-) at most once', inputs);

  const mapping: Mapping | undefined = args.mapping !== undefined ? loadMapping(args.mapping) : undefined;
  const idColumn = args.idColumn ?? mapping?.idColumn;
  if (idColumn === undefined || idColumn === '') throw invalidOption('id-column', 'the header of the id column (or idColumn in the mapping)', args.idColumn);
  const idType: IdType = oneOf('id-type', ID_TYPES, args.idType) ?? mapping?.idType ?? 'thirdPartyId';

  const onForbiddenChars = oneOf('on-forbidden-chars', FORBIDDEN_CHAR_POLICIES, args.onForbiddenChars) ?? 'reject';
  if (args.replacement !== undefined && onForbiddenChars !== 'replace') throw invalidOption('replacement', 'to be used with --on-forbidden-chars replace', args.replacement);
  const givenDelimiter = restoreDash(args.delimiter);
  const delimiter = givenDelimiter === '\\t' || givenDelimiter === 'tab' ? '\t' : givenDelimiter;
  if (delimiter !== undefined && [...delimiter].length !== 1) throw invalidOption('delimiter', 'a single character (or \\t)', args.delimiter);

  const tempDir = args.tempDir !== undefined ? checkTempDir(String(args.tempDir)) : undefined;
  if (args.presorted !== undefined && typeof args.presorted !== 'boolean') throw invalidOption('presorted', 'true or false', args.presorted);

  const maxBytes = args.maxBytes !== undefined ? parseSize('max-bytes', args.maxBytes) : MAX_BATCH_BYTES;
  if (maxBytes > MAX_BATCH_BYTES) throw invalidOption('max-bytes', `at most Target's limit of ${MAX_BATCH_BYTES}`, args.maxBytes);
  const maxRows = args.maxRows !== undefined ? parsePositiveInteger('max-rows', args.maxRows) : MAX_BATCH_ROWS;
  if (maxRows > MAX_BATCH_ROWS) throw invalidOption('max-rows', `at most Target's limit of ${MAX_BATCH_ROWS}`, args.maxRows);

  return {
    inputs,
    totalBytes,
    maxRejectRate: args.maxRejectRate !== undefined ? parseFraction('max-reject-rate', args.maxRejectRate) : 0.05,
    pipeline: {
      inputs,
      idColumn,
      idType,
      mapping,
      parse: {
        ...(delimiter !== undefined ? { delimiter } : {}),
        ...(args.maxRecordBytes !== undefined ? { maxRecordBytes: parseSize('max-record-bytes', args.maxRecordBytes) } : {}),
      },
      valuePolicy: { onForbiddenChars, ...(args.replacement !== undefined ? { replacement: args.replacement } : {}) },
      merge: {
        policy: oneOf('merge', MERGE_POLICIES, args.merge) ?? 'last',
        ...(args.memory !== undefined ? { maxMemoryBytes: parseSize('memory', args.memory) } : {}),
        ...(tempDir !== undefined ? { tempDir } : {}),
        ...(args.presorted === true ? { presorted: true } : {}),
      },
      batch: { maxBytes, maxRows },
      ...(args.threads !== undefined ? { threads: oneOf('threads', ['1', '2'] as const, String(args.threads)) === '1' ? 1 : 2 } : {}),
    },
  };
}

/** --temp-dir must be an existing directory: checked before any input is read, not when the merge first spills. */
function checkTempDir(dir: string): string {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw invalidOption('temp-dir', 'an existing directory', dir);
  return dir;
}
