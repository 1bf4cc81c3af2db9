/**
 * Submissions first, without starving status polls. Target's 50-calls-a-minute budget is shared by batch
 * submissions and (probably) status polls; a poll that takes the slot a submission was waiting for delays the
 * upload, but polls that never get a slot let statuses expire (Target keeps only recent ones). So:
 *
 * - a submission goes straight to the shared limiter;
 * - a poll waits while any submission is waiting for the limiter, **unless** polls took fewer than
 *   `reservedPollCalls` slots in the last window (their reserved share);
 * - at most one poll is ever queued in the limiter, so a submission waits behind at most one poll.
 *
 * The limiter stays first come, first served; this class only decides when a poll may join its queue.
 */
import { invalidOption, systemClock, systemTimers } from '@bulkpipe/core';
import type { CallBudget, Clock, Timers } from '@bulkpipe/core';

export type BudgetLane = 'submit' | 'poll';

export interface PriorityBudgetOptions {
  /** Calls per window of the shared limiter (to size the polls' reserved share). @default 50 */
  callsPerWindow?: number;
  /** @default 60000 */
  windowMs?: number;
  /** Fraction of the window's calls that polls may take even while submissions wait (rounded up, ≥ 1 call). @default 0.1 */
  reservedPollShare?: number;
  /** Called when a call will wait for the limiter: lane and the expected wait in ms (when the limiter can tell). */
  onWait?: (lane: BudgetLane, expectedWaitMs: number) => void;
  /** @default the system clock */
  clock?: Clock;
  /** @default the system timers */
  timers?: Timers;
}

/** What a limiter may tell about its next free slot (`RateLimiter` does). */
interface SlotForecast {
  nextFreeMs(): number;
}

function hasForecast(budget: CallBudget): budget is CallBudget & SlotForecast {
  return typeof (budget as Partial<SlotForecast>).nextFreeMs === 'function';
}

export class PriorityBudget {
  /** Hand this to the Target client: every submission (and every 503/429 penalty) goes through it. */
  readonly submissions: CallBudget;
  /** Status polls acquire here before each GET. */
  readonly polls: CallBudget;
  readonly reservedPollCalls: number;
  private readonly inner: CallBudget;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly onWait: ((lane: BudgetLane, expectedWaitMs: number) => void) | undefined;
  private submitsWaiting = 0;
  private pollQueued = false;
  /** Start times of recent poll grants, oldest first. */
  private readonly pollGrants: number[] = [];
  private wakers: Array<() => void> = [];
  private wakeTimer: unknown;
  private wakeTimerPending = false;

  constructor(inner: CallBudget, options: PriorityBudgetOptions = {}) {
    const callsPerWindow = options.callsPerWindow ?? 50;
    const windowMs = options.windowMs ?? 60_000;
    const share = options.reservedPollShare ?? 0.1;
    if (!(Number.isInteger(callsPerWindow) && callsPerWindow >= 1)) throw invalidOption('callsPerWindow', 'an integer ≥ 1', options.callsPerWindow);
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw invalidOption('windowMs', 'a finite number of ms > 0', options.windowMs);
    if (!(share >= 0 && share <= 1)) throw invalidOption('reservedPollShare', 'a fraction from 0 to 1', options.reservedPollShare);
    this.inner = inner;
    this.windowMs = windowMs;
    this.reservedPollCalls = share === 0 ? 0 : Math.max(1, Math.ceil(callsPerWindow * share));
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.onWait = options.onWait;
    this.submissions = { acquire: (signal) => this.acquireSubmit(signal), penalize: (ms) => inner.penalize(ms) };
    this.polls = { acquire: (signal) => this.acquirePoll(signal), penalize: (ms) => inner.penalize(ms) };
  }

  /** Submissions currently waiting for the limiter. */
  get submissionsWaiting(): number {
    return this.submitsWaiting;
  }

  private async acquireSubmit(signal?: AbortSignal): Promise<void> {
    this.forecast('submit');
    this.submitsWaiting++;
    try {
      await this.inner.acquire(signal);
    } finally {
      this.submitsWaiting--;
      this.wake();
    }
  }

  private async acquirePoll(signal?: AbortSignal): Promise<void> {
    while (!this.pollMayQueue()) await this.changed(signal);
    this.forecast('poll');
    this.pollQueued = true;
    try {
      await this.inner.acquire(signal);
      this.pollGrants.push(this.clock.now());
    } finally {
      this.pollQueued = false;
      this.wake();
    }
  }

  private pollMayQueue(): boolean {
    if (this.pollQueued) return false;
    if (this.submitsWaiting === 0) return true;
    const since = this.clock.now() - this.windowMs;
    while (this.pollGrants.length > 0 && (this.pollGrants[0] as number) <= since) this.pollGrants.shift();
    return this.pollGrants.length < this.reservedPollCalls;
  }

  private forecast(lane: BudgetLane): void {
    if (!this.onWait || !hasForecast(this.inner)) return;
    const waitMs = this.inner.nextFreeMs() - this.clock.now();
    if (waitMs > 0) this.onWait(lane, waitMs);
  }

  /** Resolves at the next state change (a submission got its slot, a poll left the queue, a reserved slot aged out). */
  private changed(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.wakers = this.wakers.filter((waker) => waker !== done);
        reject(signal?.reason);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wakers.push(done);
      // The reserved share frees up when the oldest poll grant leaves the window: wake then too.
      const oldest = this.pollGrants[0];
      if (oldest !== undefined && !this.wakeTimerPending) {
        this.wakeTimerPending = true;
        this.wakeTimer = this.timers.setTimeout(() => {
          this.wakeTimerPending = false;
          this.wake();
        }, Math.max(1, oldest + this.windowMs - this.clock.now() + 1));
      }
    });
  }

  private wake(): void {
    if (this.wakeTimerPending && this.wakers.length > 0) {
      this.timers.clearTimeout(this.wakeTimer);
      this.wakeTimerPending = false;
    }
    const wakers = this.wakers;
    this.wakers = [];
    for (const waker of wakers) waker();
  }
}
