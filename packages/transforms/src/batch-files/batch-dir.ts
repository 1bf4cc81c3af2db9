/**
 * The batch directory: file names, and making sure files of an earlier run never mix with a new run's.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';

export const MANIFEST_FILE = 'manifest.json';
const BATCH_FILE = /^batch-\d{5,}\.txt$/;

/** `batch-00001.txt`; five digits, more past 99,999 batches (names then still sort by length, then text). */
export function batchFileName(seq: number): string {
  return `batch-${String(seq).padStart(5, '0')}.txt`;
}

/**
 * Creates `dir` if missing. A directory that already holds batch files or a manifest is refused, unless
 * `overwrite`, which removes them first: a half-replaced set of batch files looks like one run and is not.
 */
export async function prepareBatchDir(dir: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    await mkdir(dir, { recursive: true });
    entries = await readdir(dir);
  } catch (error) {
    throw outputError(`Cannot create or read the output directory ${dir}`, error);
  }
  const earlier = entries.filter((name) => BATCH_FILE.test(name) || name === MANIFEST_FILE).sort();
  if (earlier.length === 0) return;
  if (!overwrite) {
    const shown = earlier.length > 3 ? `${earlier.slice(0, 3).join(', ')} and ${earlier.length - 3} more` : earlier.join(', ');
    throw new BulkpipeError(
      ErrorCode.INVALID_OPTION,
      `The output directory ${dir} already holds files of an earlier run (${shown}); choose an empty directory, ` +
        `or overwrite to remove them first`,
      { option: 'overwrite' },
    );
  }
  try {
    // The manifest first: a crash part-way must not leave an old manifest describing a mixed directory.
    if (earlier.includes(MANIFEST_FILE)) await rm(join(dir, MANIFEST_FILE));
    for (const name of earlier) if (name !== MANIFEST_FILE) await rm(join(dir, name));
  } catch (error) {
    throw outputError(`Cannot remove the earlier batch files in ${dir}`, error);
  }
}

export function outputError(what: string, cause: unknown): BulkpipeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BulkpipeError(ErrorCode.OUTPUT_UNWRITABLE, `${what}: ${reason}`, {}, { cause });
}
