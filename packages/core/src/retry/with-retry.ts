/**
 * Runs a call until it succeeds, fails for good, or the policy's budget (attempts, elapsed time) runs out.
 * Waits are cancelled at once by the signal, which then rejects with `signal.reason`.
 */
import { BulkpipeError, ErrorCode, isBulkpipeError } from '../errors.js';
import { classify as defaultClassify } from './classify.js';
import type { RetryDecision } from './classify.js';
import { backoffDelayMs, resolveRetryPolicy } from './retry-policy.js';
import type { RetryPolicy, RetryPolicyOptions } from './retry-policy.js';
import { sleep, systemClock, systemTimers } from './time.js';
import type { Clock, Random, Timers } from './time.js';

export interface RetryAttempt {
  /** 1-based. */
  readonly attempt: number;
  readonly signal: AbortSignal;
}

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** How long the wait before the next attempt is. */
  readonly delayMs: number;
  readonly error: unknown;
  /** True when a `Retry-After` set (part of) the delay. */
  readonly retryAfter: boolean;
}

export interface WithRetryOptions {
  signal?: AbortSignal;
  /** @default the system clock */
  clock?: Clock;
  /** @default the system timers */
  timers?: Timers;
  /** @default Math.random */
  random?: Random;
  /** Called before each wait: for logs and progress (it must not throw). */
  onRetry?: (event: RetryEvent) => void;
  /** @default classify */
  classify?: (error: unknown) => RetryDecision;
}

/**
 * Calls `fn` and retries it on errors the classifier calls `retry`. Errors classified `fail` or
 * `fatal-config` are rethrown unchanged at once; when the budget runs out, a RETRIES_EXHAUSTED error with the
 * last error as `cause` is thrown. An error carrying `retryAfterMs` (see TargetError) waits at least that long.
 */
export async function withRetry<T>(
  fn: (attempt: RetryAttempt) => Promise<T>,
  policy: RetryPolicy | RetryPolicyOptions = {},
  options: WithRetryOptions = {},
): Promise<T> {
  // Resolving a resolved policy gives the same policy, so both forms are accepted.
  const resolved = resolveRetryPolicy(policy);
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const random = options.random ?? Math.random;
  const judge = options.classify ?? defaultClassify;
  const startedMs = clock.now();

  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw signal.reason;
    try {
      return await fn({ attempt, signal });
    } catch (error) {
      // An abort during the call is the caller's stop, whatever the transport made of it.
      if (signal.aborted) throw signal.reason;
      if (judge(error) !== 'retry') throw error;

      const retryAfterMs = readRetryAfterMs(error);
      const backoffMs = backoffDelayMs(resolved, attempt, random);
      const honoured = retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, resolved.maxRetryAfterMs);
      const delayMs = honoured === undefined ? backoffMs : Math.max(backoffMs, honoured);
      const elapsedMs = clock.now() - startedMs;
      if (attempt >= resolved.maxAttempts || elapsedMs + delayMs > resolved.maxElapsedMs) {
        throw exhausted(error, attempt, elapsedMs);
      }
      options.onRetry?.({ attempt, delayMs, error, retryAfter: honoured !== undefined && honoured >= backoffMs });
      await sleep(delayMs, signal, timers);
    }
  }
}

function readRetryAfterMs(error: unknown): number | undefined {
  const value = typeof error === 'object' && error !== null ? (error as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function exhausted(error: unknown, attempts: number, elapsedMs: number): BulkpipeError {
  const last = error instanceof Error ? error.message : String(error);
  const statusCode = isBulkpipeError(error) ? error.context.statusCode : undefined;
  return new BulkpipeError(
    ErrorCode.RETRIES_EXHAUSTED,
    `Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${Math.round(elapsedMs / 1000)} s; last error: ${last}`,
    statusCode === undefined ? { attempt: attempts } : { attempt: attempts, statusCode },
    { cause: error },
  );
}
