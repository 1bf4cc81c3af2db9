/**
 * Backoff: full-jitter exponential (the attempt-n wait is uniform in [0, min(maxDelayMs, minDelayMs·factorⁿ⁻¹)]),
 * bounded by attempts and by elapsed time. Defaults live in one block; `jitter: 'none'` makes delays exact for tests.
 */
import { invalidOption } from '../errors.js';

export interface RetryPolicyOptions {
  /** The first retry's backoff ceiling. @default 1000 */
  minDelayMs?: number;
  /** No backoff ceiling grows above this. @default 60000 */
  maxDelayMs?: number;
  /** Growth of the ceiling per attempt. @default 2 */
  factor?: number;
  /** Attempts in total, the first one included (1 = never retry). @default 8 */
  maxAttempts?: number;
  /** No retry starts a wait that would end later than this after the first attempt began. @default 900000 (15 min) */
  maxElapsedMs?: number;
  /** `full`: uniform in [0, ceiling]; `none`: exactly the ceiling (tests, or a single client on its own account). @default 'full' */
  jitter?: 'full' | 'none';
  /** A `Retry-After` longer than this is treated as this (a misconfigured proxy must not park a run for a day). @default 300000 */
  maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
  readonly jitter: 'full' | 'none';
  readonly maxRetryAfterMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = Object.freeze({
  minDelayMs: 1_000,
  maxDelayMs: 60_000,
  factor: 2,
  maxAttempts: 8,
  maxElapsedMs: 15 * 60_000,
  jitter: 'full',
  maxRetryAfterMs: 5 * 60_000,
});

/** Validates once and returns a frozen policy; the caller's object is never kept or mutated. */
export function resolveRetryPolicy(options: RetryPolicyOptions = {}): RetryPolicy {
  const policy = {
    minDelayMs: nonNegative('minDelayMs', options.minDelayMs ?? RETRY_DEFAULTS.minDelayMs),
    maxDelayMs: nonNegative('maxDelayMs', options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs),
    factor: options.factor ?? RETRY_DEFAULTS.factor,
    maxAttempts: options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
    maxElapsedMs: nonNegative('maxElapsedMs', options.maxElapsedMs ?? RETRY_DEFAULTS.maxElapsedMs),
    jitter: options.jitter ?? RETRY_DEFAULTS.jitter,
    maxRetryAfterMs: nonNegative('maxRetryAfterMs', options.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs),
  };
  if (!(Number.isFinite(policy.factor) && policy.factor >= 1)) throw invalidOption('factor', 'a finite number ≥ 1', options.factor);
  if (!(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1)) throw invalidOption('maxAttempts', 'an integer ≥ 1', options.maxAttempts);
  if (policy.maxDelayMs < policy.minDelayMs) throw invalidOption('maxDelayMs', `a number ≥ minDelayMs (${policy.minDelayMs})`, options.maxDelayMs);
  if (policy.jitter !== 'full' && policy.jitter !== 'none') throw invalidOption('jitter', "'full' or 'none'", options.jitter);
  return Object.freeze(policy);
}

/** The backoff before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return policy.jitter === 'none' ? ceiling : Math.floor(random() * ceiling);
}

function nonNegative(option: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw invalidOption(option, 'a finite number of ms ≥ 0', value);
  return value;
}
