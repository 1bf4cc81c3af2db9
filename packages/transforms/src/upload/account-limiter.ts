/** The account's one rate limiter, as every command that calls Target builds it from its options. */
import { CALLS_PER_MINUTE, RATE_WINDOW_MS, RateLimiter } from '@bulkpipe/core';
import type { Clock, Random, Timers } from '@bulkpipe/core';

export interface AccountLimiterOptions {
  /** @default 50 */
  callsPerMinute?: number;
  /** @default 60000 */
  rateWindowMs?: number;
  clock?: Clock;
  timers?: Timers;
  random?: Random;
}

export function createAccountLimiter(options: AccountLimiterOptions): RateLimiter {
  return new RateLimiter({
    callsPerWindow: options.callsPerMinute ?? CALLS_PER_MINUTE,
    windowMs: options.rateWindowMs ?? RATE_WINDOW_MS,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
}
