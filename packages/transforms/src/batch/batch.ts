/** One batch body, ready to POST or write to a file, with what the manifest, upload and resume need. */
import type { RowOrigin } from '@bulkpipe/core';

export interface Batch {
  /** 1-based sequence number within the run. */
  readonly seq: number;
  /** The exact bytes to POST: `batch=`, the header line, one line per row, each line ended by LF. */
  readonly body: Buffer;
  readonly rows: number;
  /** `body.length`. */
  readonly bytes: number;
  /** SHA-256 of `body`, lowercase hex. */
  readonly sha256: string;
  /** Smallest input line over every origin of every row. */
  readonly firstLine: number;
  /** Largest input line over every origin of every row. */
  readonly lastLine: number;
  /** Row ids in body order, to map ids Target reports as failed back to lines. */
  readonly ids: readonly string[];
  /** Per row, parallel to `ids`: every input line folded into it. */
  readonly origins: readonly (readonly RowOrigin[])[];
}
