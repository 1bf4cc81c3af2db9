import test from 'ava';
import fc from 'fast-check';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { RateLimiter } from '../src/rate-limit/rate-limiter.js';
import { ManualTime } from '../src/retry/manual-time.js';

/** The largest number of starts inside any half-open window [s, s + windowMs). */
function maxInAnyWindow(starts: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < starts.length; i++) {
    let j = i;
    while (j < starts.length && (starts[j] as number) < (starts[i] as number) + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** Exact-timing tests turn the arrival margin off; the margin has its own test. */
function limiterOn(time: ManualTime, callsPerWindow: number, windowMs: number, random = () => 0): RateLimiter {
  return new RateLimiter({ callsPerWindow, windowMs, windowMarginMs: 0, clock: time, timers: time, random, penaltyJitterMs: 1_000 });
}

test('defaults to Target’s 50 calls per 60,000 ms, counting each call 1 s longer', (t) => {
  const limiter = new RateLimiter();
  t.is(limiter.callsPerWindow, 50);
  t.is(limiter.windowMs, 60_000);
  t.is(limiter.windowMarginMs, 1_000);
});

test('regression: the (N+1)th call waits the window plus the margin, so it cannot arrive inside the server’s window', async (t) => {
  // Seen against the emulator: the 51st call started exactly 60 s after the 1st, arrived a few ms later inside
  // the server's window, drew a 503, and the penalty held every submission for another whole window.
  const time = new ManualTime();
  const limiter = new RateLimiter({ callsPerWindow: 2, windowMs: 60_000, clock: time, timers: time });
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) void limiter.acquire().then(() => starts.push(time.now()));
  await time.advance(60_000);
  t.deepEqual(starts, [0, 0]);
  await time.advance(1_000);
  t.deepEqual(starts, [0, 0, 61_000]);
});

test('admits N calls at once, then the next only when the oldest leaves the window', async (t) => {
  const time = new ManualTime();
  const limiter = limiterOn(time, 3, 1_000);
  const starts: number[] = [];
  for (let i = 0; i < 7; i++) void limiter.acquire().then(() => starts.push(time.now()));
  await time.advance(0);
  t.deepEqual(starts, [0, 0, 0]);
  await time.advance(999);
  t.is(starts.length, 3);
  await time.advance(1);
  t.deepEqual(starts, [0, 0, 0, 1_000, 1_000, 1_000]);
  await time.advance(1_000);
  t.deepEqual(starts, [0, 0, 0, 1_000, 1_000, 1_000, 2_000]);
  t.is(limiter.waiting, 0);
  t.is(time.pendingCount, 0);
});

test('property: never more than N starts in any rolling window, and every call is served in FIFO order', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 10, max: 5_000 }),
      fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 3 }),
      async (callsPerWindow, windowMs, gaps, penaltyAfter) => {
        const time = new ManualTime(5_000);
        const limiter = limiterOn(time, callsPerWindow, windowMs, () => 0.5);
        const starts: number[] = [];
        const order: number[] = [];
        const pending: Promise<void>[] = [];
        for (const [i, gap] of gaps.entries()) {
          await time.advance(gap);
          pending.push(
            limiter.acquire().then(() => {
              starts.push(time.now());
              order.push(i);
              if (penaltyAfter.includes(i)) limiter.penalize();
            }),
          );
        }
        while (await time.runNext());
        await Promise.all(pending);
        return starts.length === gaps.length && maxInAnyWindow(starts, windowMs) <= callsPerWindow && order.every((v, i) => v === i);
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('after a 503 nothing starts until the window clears, plus jitter', async (t) => {
  const time = new ManualTime();
  const limiter = limiterOn(time, 50, 60_000, () => 0.25);
  await limiter.acquire();
  await time.advance(10_000);
  await limiter.acquire(); // the call that got the 503
  limiter.penalize();
  let started: number | undefined;
  void limiter.acquire().then(() => (started = time.now()));
  // newest start (10 s) + window (60 s) + 0.25 × 1 s jitter = 70.25 s
  await time.advance(60_249);
  t.is(started, undefined);
  await time.advance(1);
  t.is(started, 70_250);
});

test('a Retry-After replaces the window wait', async (t) => {
  const time = new ManualTime();
  const limiter = limiterOn(time, 50, 60_000, () => 0);
  await limiter.acquire();
  limiter.penalize(5_000);
  let started: number | undefined;
  void limiter.acquire().then(() => (started = time.now()));
  await time.advance(4_999);
  t.is(started, undefined);
  await time.advance(1);
  t.is(started, 5_000);
});

test('an aborted waiter leaves the queue at once with signal.reason; the others keep their turn', async (t) => {
  const time = new ManualTime();
  const limiter = limiterOn(time, 1, 1_000);
  await limiter.acquire();
  const controller = new AbortController();
  const order: string[] = [];
  const first = limiter.acquire(controller.signal).then(() => order.push('first'));
  const second = limiter.acquire().then(() => order.push('second'));
  await time.advance(10);
  const reason = new Error('abort');
  controller.abort(reason);
  t.is(await t.throwsAsync(first), reason);
  t.is(limiter.waiting, 1);
  await time.advance(990);
  await second;
  t.deepEqual(order, ['second']);
  await t.throwsAsync(limiter.acquire(AbortSignal.abort(reason)), { is: reason });
});

test('invalid options are coded errors naming the option', (t) => {
  for (const options of [{ callsPerWindow: 0 }, { callsPerWindow: 2.5 }, { windowMs: 0 }, { penaltyJitterMs: -1 }]) {
    const error = t.throws(() => new RateLimiter(options));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_OPTION));
    t.is((error as unknown as { context: { option: string } }).context.option, Object.keys(options)[0] as string);
  }
});
