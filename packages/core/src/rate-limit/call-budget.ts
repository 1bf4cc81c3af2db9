/**
 * What the client needs from a rate limiter. `RateLimiter` is the in-process one; a limiter shared through
 * an external store (several machines on one account) implements the same two methods.
 */
export interface CallBudget {
  /** Resolves when one call may start (the call counts from then on); rejects with `signal.reason` on abort. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Target said "too many calls" (503, or 429): hold every call back, for `retryAfterMs` when the server said how long. */
  penalize(retryAfterMs?: number): void;
}
