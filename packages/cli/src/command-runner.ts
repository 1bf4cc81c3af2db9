/**
 * What every bulkpipe command shares around its body: the abort signal wired to SIGINT/SIGTERM, the NDJSON
 * event writer for `--json`, and the mapping from errors to exit codes and messages.
 */
import { BulkpipeError, isBulkpipeError, ErrorCode } from '@bulkpipe/core';
import { ExitCode } from './exit-codes.js';
import { exitBySignal, HARD_EXIT_GRACE_MS } from './exit-by-signal.js';

/** Codes that mean "you asked for something that cannot work": exit 2, nothing was sent. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_OPTION,
  ErrorCode.INVALID_MAPPING,
  ErrorCode.INPUT_UNREADABLE,
  ErrorCode.ID_COLUMN_MISSING,
  ErrorCode.BAD_HEADER,
  ErrorCode.EMPTY_INPUT,
  // A rejected or expired token is configuration too: fix it and run again (the journal resumes).
  ErrorCode.TARGET_AUTH,
  ErrorCode.RESUME_MISMATCH,
]);

export interface CommandIo {
  /** Aborted on the first SIGINT or SIGTERM: stop starting work, let calls on the wire finish. */
  signal: AbortSignal;
  /**
   * Aborted on the second SIGINT or SIGTERM: cut everything now. A process still running HARD_EXIT_GRACE_MS
   * later, or at the third signal, ends by the signal itself (exitBySignal).
   */
  forceSignal: AbortSignal;
  /** Writes one NDJSON event to stdout when `--json` is on; a no-op otherwise. */
  event(type: string, data?: object): void;
  json: boolean;
  /** Human messages: stderr, so stdout stays clean for data and `--json`. */
  log(message: string): void;
}

export function exitCodeFor(error: unknown): ExitCode {
  if (isBulkpipeError(error)) {
    if (error.code === ErrorCode.ABORTED) return ExitCode.ABORTED;
    if (USAGE_CODES.has(error.code)) return ExitCode.USAGE;
    return ExitCode.FAILED;
  }
  if (error instanceof Error && error.name === 'AbortError') return ExitCode.ABORTED;
  return ExitCode.FAILED;
}

export function describeError(error: unknown): string {
  if (isBulkpipeError(error)) return error.describe();
  if (error instanceof Error && error.name === 'AbortError') return 'aborted by signal';
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Says why a command stopped — the `error` NDJSON event (with `--json`) and a line on stderr — and returns the
 * exit code: 3 after a signal, else by the error's code (`exitCodeFor`).
 */
export function reportError(io: CommandIo, command: string, error: unknown): ExitCode {
  const exitCode = io.signal.aborted ? ExitCode.ABORTED : exitCodeFor(error);
  const message = io.signal.aborted ? 'aborted by signal' : describeError(error);
  io.event('error', { message, code: isBulkpipeError(error) ? error.code : undefined, exitCode });
  io.log(`bulkpipe ${command}: error: ${message}`);
  return exitCode;
}

/**
 * Runs a command body and sets `process.exitCode`. The body returns the exit code of a finished run; thrown
 * errors are printed (and sent as an `error` event) and mapped by `exitCodeFor`.
 */
export async function runCommand(name: string, options: { json?: boolean }, body: (io: CommandIo) => Promise<ExitCode>): Promise<void> {
  const controller = new AbortController();
  const force = new AbortController();
  const json = options.json === true;
  const io: CommandIo = {
    signal: controller.signal,
    forceSignal: force.signal,
    json,
    event(type, data = {}) {
      if (json) process.stdout.write(`${JSON.stringify({ event: type, time: new Date().toISOString(), ...data })}\n`);
    },
    log(message) {
      process.stderr.write(`${message}\n`);
    },
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (force.signal.aborted) {
      io.log(`bulkpipe ${name}: ${signal} a third time, exiting now`);
      exitBySignal(signal);
      return;
    }
    if (controller.signal.aborted) {
      io.log(`bulkpipe ${name}: ${signal} again, cutting the calls in flight (their batches will be sent again on resume)`);
      force.abort(new BulkpipeError(ErrorCode.ABORTED, `${signal} received twice`));
      // A thread blocked in a system call (opening a named pipe nothing writes to) cannot be cut, and the process
      // cannot exit while it waits: past the grace, leave by the signal's default action (the journal is
      // crash-safe). Unref'd: a process that ends in time is not held by it.
      setTimeout(() => {
        io.log(`bulkpipe ${name}: still running ${HARD_EXIT_GRACE_MS / 1000} s after the second ${signal} (a thread is blocked, e.g. opening a named pipe nothing writes to); exiting now`);
        exitBySignal(signal);
      }, HARD_EXIT_GRACE_MS).unref();
      return;
    }
    io.log(`bulkpipe ${name}: ${signal} received, letting calls in flight finish and writing the journal (press again to stop at once)…`);
    controller.abort(new BulkpipeError(ErrorCode.ABORTED, `${signal} received`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.exitCode = await body(io);
  } catch (error) {
    process.exitCode = reportError(io, name, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
