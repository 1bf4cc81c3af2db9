/** The documented exit codes of `bulkpipe` (docs/cli.md). */
export const ExitCode = {
  /** Everything done: batches written (or complete), rejects under the ceiling, books balanced. */
  OK: 0,
  /** The run finished but is not good: reject ceiling passed, books unbalanced, batches failed or stuck. */
  FAILED: 1,
  /** Usage or configuration error: nothing was read or sent. */
  USAGE: 2,
  /** Aborted by a signal (SIGINT/SIGTERM). */
  ABORTED: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
