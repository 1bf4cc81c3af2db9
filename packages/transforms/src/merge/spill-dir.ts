/**
 * The private directory a spilled merge keeps its temporary files in: one per run, created on the first spill
 * (a run that fits in memory touches no disk), removed with everything in it on success, failure and abort.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';

/** Creates `<tempDir>/bulkpipe-merge-XXXXXX` (mode 0700: the rows are customer data). */
export function createSpillDir(tempDir: string): string {
  try {
    return mkdtempSync(join(tempDir, 'bulkpipe-merge-'));
  } catch (error) {
    throw spillError(tempDir, error);
  }
}

/** Removes the directory and its files; never throws (it runs while another error may be on its way out). */
export function removeSpillDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch {
    // Nothing better to do: the error that stopped the run matters more than a leftover directory.
  }
}

/** A coded error naming the directory; a full disk says so and suggests the way out. */
export function spillError(dir: string, error: unknown): BulkpipeError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `the temporary directory ${dir} is full (${code}). The merge spills about 1.5 × the size of the input there; ` +
        `free space, point --temp-dir at a larger disk, or raise --memory`
      : `cannot write the merge's temporary files in ${dir}: ${(error as Error | undefined)?.message ?? String(error)}. Check --temp-dir`;
  return new BulkpipeError(ErrorCode.SPILL_FAILED, `Merge by id spilled to disk, but ${reason}.`, { option: 'tempDir' }, { cause: error });
}
