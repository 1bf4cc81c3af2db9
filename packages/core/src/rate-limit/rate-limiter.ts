/**
 * One account's call budget: at most `callsPerWindow` calls start in any rolling `windowMs` (Target: 50 per
 * minute, then 503). A sliding log of the last N start times makes the bound exact for every window, not
 * only for aligned minutes; waiters are served first come, first served.
 */
import { CALLS_PER_MINUTE, RATE_WINDOW_MS } from '../limits.js';
import { invalidOption } from '../errors.js';
import { systemClock, systemTimers } from '../retry/time.js';
import type { Clock, Random, Timers } from '../retry/time.js';
import type { CallBudget } from './call-budget.js';

export interface RateLimiterOptions {
  /** Calls that may start in any window. Lower it when several workers share one account. @default 50 */
  callsPerWindow?: number;
  /** Length of the rolling window. @default 60000 */
  windowMs?: number;
  /**
   * Target counts a call when it arrives, a little after it starts here; a call start is counted for the window
   * plus this margin, so that the (N+1)th call cannot arrive inside the server's window and draw a 503 (which
   * would hold every call for a whole window). @default windowMs / 60 (1 s for Target's minute)
   */
  windowMarginMs?: number;
  /**
   * After a 503, wait an extra uniformly random 0…this ms beyond the window (or the `Retry-After`), so that
   * workers sharing an account do not all come back at the same instant. @default 5000
   */
  penaltyJitterMs?: number;
  /** @default the system clock */
  clock?: Clock;
  /** @default the system timers */
  timers?: Timers;
  /** @default Math.random */
  random?: Random;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class RateLimiter implements CallBudget {
  readonly callsPerWindow: number;
  readonly windowMs: number;
  readonly windowMarginMs: number;
  readonly penaltyJitterMs: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly random: Random;
  /** Start times of the most recent calls, oldest first, at most `callsPerWindow` of them. */
  private readonly starts: number[] = [];
  private readonly queue: Waiter[] = [];
  private blockedUntilMs = -Infinity;
  private timer: unknown;
  private timerPending = false;

  constructor(options: RateLimiterOptions = {}) {
    const callsPerWindow = options.callsPerWindow ?? CALLS_PER_MINUTE;
    const windowMs = options.windowMs ?? RATE_WINDOW_MS;
    const penaltyJitterMs = options.penaltyJitterMs ?? 5_000;
    if (!(Number.isInteger(callsPerWindow) && callsPerWindow >= 1)) throw invalidOption('callsPerWindow', 'an integer ≥ 1', options.callsPerWindow);
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw invalidOption('windowMs', 'a finite number of ms > 0', options.windowMs);
    if (!(Number.isFinite(penaltyJitterMs) && penaltyJitterMs >= 0)) throw invalidOption('penaltyJitterMs', 'a finite number of ms ≥ 0', options.penaltyJitterMs);
    const windowMarginMs = options.windowMarginMs ?? Math.round(windowMs / 60);
    if (!(Number.isFinite(windowMarginMs) && windowMarginMs >= 0)) throw invalidOption('windowMarginMs', 'a finite number of ms ≥ 0', options.windowMarginMs);
    this.windowMarginMs = windowMarginMs;
    this.callsPerWindow = callsPerWindow;
    this.windowMs = windowMs;
    this.penaltyJitterMs = penaltyJitterMs;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index === -1) return;
          this.queue.splice(index, 1);
          reject(signal?.reason);
          this.pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  penalize(retryAfterMs?: number): void {
    const now = this.clock.now();
    const newest = this.starts.at(-1) ?? now;
    const base = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? now + retryAfterMs : Math.max(now, newest + this.windowMs + this.windowMarginMs);
    this.blockedUntilMs = Math.max(this.blockedUntilMs, base + this.random() * this.penaltyJitterMs);
    this.pump();
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Calls started within the last window. */
  callsInWindow(): number {
    const since = this.clock.now() - this.windowMs - this.windowMarginMs;
    return this.starts.filter((start) => start > since).length;
  }

  /** The earliest time a new call could start (ignoring waiters ahead of it). */
  nextFreeMs(): number {
    const now = this.clock.now();
    const oldestCounted = this.starts.length < this.callsPerWindow ? -Infinity : (this.starts[0] ?? -Infinity) + this.windowMs + this.windowMarginMs;
    return Math.max(now, this.blockedUntilMs, oldestCounted);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const now = this.clock.now();
      const freeMs = this.nextFreeMs();
      if (freeMs > now) {
        this.schedule(freeMs - now);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.starts.push(now);
      if (this.starts.length > this.callsPerWindow) this.starts.shift();
      waiter.resolve();
    }
    this.cancelTimer();
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.timerPending = true;
    this.timer = this.timers.setTimeout(() => {
      this.timerPending = false;
      this.pump();
    }, Math.ceil(delayMs));
  }

  private cancelTimer(): void {
    if (!this.timerPending) return;
    this.timers.clearTimeout(this.timer);
    this.timerPending = false;
  }
}
