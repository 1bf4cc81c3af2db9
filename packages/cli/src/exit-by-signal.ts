/**
 * The way out when stopping in order is not possible: a worker thread blocked in a system call (open(2) of a
 * named pipe with no writer, a read from one that never writes) cannot be terminated, and Node's exit, even
 * `process.exit`, waits for every thread to stop, so the process would hang for good.
 */

/** How long after the second SIGINT/SIGTERM a process that has not stopped is ended by the signal itself. */
export const HARD_EXIT_GRACE_MS = 3000;

/**
 * Ends the process by `signal`'s default action, as if no handler had been installed: the kernel ends it with
 * no thread to join, and the parent (the shell: 130 for SIGINT, 143 for SIGTERM) sees that it was killed by it.
 */
export function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
