/** How batch statuses are polled, resolved once into a frozen normalized form. */
import { invalidOption, resolveRetryPolicy } from '@bulkpipe/core';
import type { RetryPolicy, RetryPolicyOptions } from '@bulkpipe/core';

export interface StatusPollOptions {
  /** Wait before a batch's first poll (Target needs a moment to queue it). @default 5000 */
  initialDelayMs?: number;
  /** Polls of one batch back off up to this interval. @default 60000 */
  maxDelayMs?: number;
  /** Growth of the interval after each `incomplete`. @default 2 */
  factor?: number;
  /**
   * Stop polling a batch this long after its tracking began, reporting it `incomplete` (timed out). Target
   * usually applies a batch within an hour, rarely within 24. @default 3600000 (1 h)
   */
  deadlineMs?: number;
  /** Status polls in flight at once. @default 2 */
  concurrency?: number;
  /** Retries of one poll on network errors, 5xx, 503 and 429. @default RETRY_DEFAULTS */
  retry?: RetryPolicyOptions;
}

export interface ResolvedStatusPollOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
  readonly retry: RetryPolicy;
}

export const STATUS_POLL_DEFAULTS = Object.freeze({ initialDelayMs: 5_000, maxDelayMs: 60_000, factor: 2, deadlineMs: 3_600_000, concurrency: 2 });

export function resolveStatusPollOptions(options: StatusPollOptions = {}): ResolvedStatusPollOptions {
  const resolved = {
    initialDelayMs: options.initialDelayMs ?? STATUS_POLL_DEFAULTS.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? STATUS_POLL_DEFAULTS.maxDelayMs,
    factor: options.factor ?? STATUS_POLL_DEFAULTS.factor,
    deadlineMs: options.deadlineMs ?? STATUS_POLL_DEFAULTS.deadlineMs,
    concurrency: options.concurrency ?? STATUS_POLL_DEFAULTS.concurrency,
    retry: resolveRetryPolicy(options.retry ?? {}),
  };
  for (const name of ['initialDelayMs', 'maxDelayMs', 'deadlineMs'] as const) {
    if (!(Number.isFinite(resolved[name]) && resolved[name] >= 0)) throw invalidOption(name, 'a finite number of ms ≥ 0', options[name]);
  }
  if (resolved.maxDelayMs < resolved.initialDelayMs) throw invalidOption('maxDelayMs', `a number ≥ initialDelayMs (${resolved.initialDelayMs})`, options.maxDelayMs);
  if (!(Number.isFinite(resolved.factor) && resolved.factor >= 1)) throw invalidOption('factor', 'a finite number ≥ 1', options.factor);
  if (!(Number.isSafeInteger(resolved.concurrency) && resolved.concurrency >= 1)) throw invalidOption('concurrency', 'an integer ≥ 1', options.concurrency);
  return Object.freeze(resolved);
}
