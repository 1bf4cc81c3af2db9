/**
 * Target's "50 calls per minute per account" as a rolling window (TARGET-API.md §1): a call is allowed when
 * fewer than `limit` allowed calls happened in the last `windowMs`. Refused calls are not recorded, so a
 * client hammering through a 503 does not extend its own penalty. Time comes from the emulator's clock.
 */
export class RateLimiter {
  readonly #calls = new Map<string, number[]>();

  /** Records the call and returns 0 when allowed; otherwise the milliseconds until a slot frees. */
  take(client: string, now: number, limit: number, windowMs: number): number {
    if (limit <= 0) return 0;
    let times = this.#calls.get(client);
    if (times === undefined) {
      times = [];
      this.#calls.set(client, times);
    }
    let expired = 0;
    while (expired < times.length && times[expired]! <= now - windowMs) expired += 1;
    if (expired > 0) times.splice(0, expired);
    if (times.length >= limit) return Math.max(1, times[times.length - limit]! + windowMs - now);
    times.push(now);
    return 0;
  }

  /** Calls counted in the current window (for the admin API). */
  used(client: string, now: number, windowMs: number): number {
    return (this.#calls.get(client) ?? []).filter((time) => time > now - windowMs).length;
  }

  reset(): void {
    this.#calls.clear();
  }
}
