/**
 * A virtual clock with its own timers, for tests of anything that takes a `Clock` and `Timers`:
 * time moves only when `advance()` is called, and due timers fire in time order.
 */
import type { Clock, Timers } from './time.js';

interface PendingTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

export class ManualTime implements Clock, Timers {
  private nowMs: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, delayMs), callback };
    this.pending.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  /** Timers not yet fired. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDueMs(): number | undefined {
    return this.pending.reduce<number | undefined>((min, t) => (min === undefined || t.dueMs < min ? t.dueMs : min), undefined);
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order (ties by creation),
   * and letting promise callbacks settle after each one so chained waits schedule their next timer in time.
   */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.dueMs > targetMs) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.callback();
      await settle();
    }
    this.nowMs = targetMs;
    await settle();
  }

  /** Advances to the next due timer and fires it (and any due at the same instant). False when none is pending. */
  async runNext(): Promise<boolean> {
    const due = this.nextDueMs();
    if (due === undefined) return false;
    await this.advance(due - this.nowMs);
    return true;
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.pending) if (best === undefined || timer.dueMs < best.dueMs || (timer.dueMs === best.dueMs && timer.id < best.id)) best = timer;
    return best;
  }
}

/** Lets queued promise reactions run (several turns, since awaits chain). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
