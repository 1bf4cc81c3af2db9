/** Connects a rejects file to a run: every reject the run records is written. */
import type { RejectedRow } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { RejectsCsvWriter } from './rejects-csv-writer.js';

/**
 * Writes every reject of `ctx` to `writer` from now on; returns the function that stops it. A write error
 * (disk full) is thrown from `ctx.reject()`, so the stage that rejected fails and the run stops.
 */
export function attachRejectsWriter(ctx: RunContext, writer: RejectsCsvWriter): () => void {
  const listener = (reject: RejectedRow): void => writer.write(reject);
  ctx.events.on('reject', listener);
  return () => {
    ctx.events.off('reject', listener);
  };
}
