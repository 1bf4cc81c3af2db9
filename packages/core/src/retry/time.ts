/**
 * Time as a dependency: the retry policy and the rate limiter never read the wall clock or start a timer
 * directly, so tests drive them with `ManualTime` and assert exact delays without waiting.
 */

export interface Clock {
  /** Milliseconds since the epoch (like `Date.now()`). */
  now(): number;
}

/** The two timer functions bulkpipe needs; a handle is whatever `setTimeout` returned. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

export const systemTimers: Timers = Object.freeze({
  setTimeout: (callback: () => void, delayMs: number): unknown => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * Resolves after `delayMs`, or rejects with `signal.reason` as soon as the signal aborts (also when it
 * already has). The abort listener is removed either way so long-lived signals do not collect listeners.
 */
export function sleep(delayMs: number, signal?: AbortSignal, timers: Timers = systemTimers): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, delayMs));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
