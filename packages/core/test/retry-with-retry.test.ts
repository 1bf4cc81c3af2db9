import test from 'ava';
import fc from 'fast-check';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { TargetError } from '../src/client/target-error.js';
import { ManualTime } from '../src/retry/manual-time.js';
import { backoffDelayMs, RETRY_DEFAULTS, resolveRetryPolicy } from '../src/retry/retry-policy.js';
import { withRetry } from '../src/retry/with-retry.js';
import type { RetryEvent } from '../src/retry/with-retry.js';

const reset = (): TargetError => new TargetError(ErrorCode.TARGET_NETWORK, 'socket reset', {}, { networkCode: 'ECONNRESET' });
const status = (statusCode: number, retryAfterMs?: number): TargetError =>
  new TargetError(ErrorCode.TARGET_HTTP_STATUS, `HTTP ${statusCode}`, { statusCode }, retryAfterMs === undefined ? {} : { retryAfterMs });

/** Drives withRetry on virtual time until it settles; returns its outcome and the waits it asked for. */
async function drive<T>(run: (time: ManualTime, events: RetryEvent[]) => Promise<T>): Promise<{ result?: T; error?: unknown; events: RetryEvent[]; elapsedMs: number }> {
  const time = new ManualTime(1_000_000);
  const events: RetryEvent[] = [];
  let done = false;
  const outcome: { result?: T; error?: unknown } = {};
  run(time, events).then(
    (result) => ((outcome.result = result), (done = true)),
    (error: unknown) => ((outcome.error = error), (done = true)),
  );
  for (let guard = 0; !done && guard < 1000; guard++) if (!(await time.runNext())) await time.advance(0);
  return { ...outcome, events, elapsedMs: time.now() - 1_000_000 };
}

test('without jitter the delays are exact: min·factorⁿ⁻¹, capped at maxDelayMs', async (t) => {
  const policy = resolveRetryPolicy({ minDelayMs: 100, maxDelayMs: 1_000, factor: 3, maxAttempts: 6, jitter: 'none' });
  let calls = 0;
  const { result, events, elapsedMs } = await drive((time, events) =>
    withRetry(
      async () => {
        calls++;
        if (calls < 6) throw reset();
        return 'done';
      },
      policy,
      { clock: time, timers: time, onRetry: (event) => events.push(event) },
    ),
  );
  t.is(result, 'done');
  t.deepEqual(events.map((e) => e.delayMs), [100, 300, 900, 1_000, 1_000]);
  t.deepEqual(events.map((e) => e.attempt), [1, 2, 3, 4, 5]);
  t.is(elapsedMs, 3_300);
});

test('full jitter draws each delay uniformly below the ceiling', (t) => {
  const policy = resolveRetryPolicy({ minDelayMs: 1_000, maxDelayMs: 8_000, factor: 2 });
  t.is(backoffDelayMs(policy, 1, () => 0.5), 500);
  t.is(backoffDelayMs(policy, 3, () => 0.25), 1_000);
  t.is(backoffDelayMs(policy, 10, () => 0.999), 7_992);
  t.is(backoffDelayMs(policy, 2, () => 0), 0);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, r) => {
      const delay = backoffDelayMs(policy, attempt, () => r);
      return delay >= 0 && delay <= Math.min(8_000, 1_000 * 2 ** (attempt - 1));
    }),
    { numRuns: 500 },
  );
});

test('a Retry-After longer than the backoff sets the wait; capped by maxRetryAfterMs', async (t) => {
  const policy = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 'none' as const, maxRetryAfterMs: 30_000 };
  const answers = [status(503, 10_000), status(429, 120_000), status(503, 5)];
  const { result, events } = await drive((time, events) =>
    withRetry(
      async () => {
        const next = answers.shift();
        if (next) throw next;
        return 'ok';
      },
      policy,
      { clock: time, timers: time, onRetry: (event) => events.push(event) },
    ),
  );
  t.is(result, 'ok');
  t.deepEqual(events.map((e) => [e.delayMs, e.retryAfter]), [[10_000, true], [30_000, true], [400, false]]);
});

test('fail and fatal-config errors are rethrown unchanged at once', async (t) => {
  for (const error of [status(400), status(403), new TargetError(ErrorCode.TARGET_REJECTED, 'Unexpected error'), new TargetError(ErrorCode.TARGET_AUTH, 'token', { statusCode: 401 })]) {
    let calls = 0;
    const outcome = await drive((time) =>
      withRetry(
        async () => {
          calls++;
          throw error;
        },
        {},
        { clock: time, timers: time },
      ),
    );
    t.is(outcome.error, error);
    t.is(calls, 1);
    t.is(outcome.elapsedMs, 0);
  }
});

test('after maxAttempts, RETRIES_EXHAUSTED carries the last error as cause and its status', async (t) => {
  let calls = 0;
  const { error, events } = await drive((time, events) =>
    withRetry(
      async () => {
        calls++;
        throw status(502);
      },
      { maxAttempts: 3, minDelayMs: 10, jitter: 'none' },
      { clock: time, timers: time, onRetry: (event) => events.push(event) },
    ),
  );
  t.is(calls, 3);
  t.is(events.length, 2);
  t.true(isBulkpipeError(error, ErrorCode.RETRIES_EXHAUSTED));
  if (!isBulkpipeError(error)) return;
  t.is(error.context.attempt, 3);
  t.is(error.context.statusCode, 502);
  t.true(isBulkpipeError(error.cause, ErrorCode.TARGET_HTTP_STATUS));
  t.regex(error.message, /3 attempts.*HTTP 502/);
});

test('maxElapsedMs stops before a wait that would end past it', async (t) => {
  let calls = 0;
  const { error, elapsedMs } = await drive((time) =>
    withRetry(
      async () => {
        calls++;
        throw reset();
      },
      { minDelayMs: 1_000, factor: 2, maxDelayMs: 100_000, maxAttempts: 100, maxElapsedMs: 10_000, jitter: 'none' },
      { clock: time, timers: time },
    ),
  );
  // waits 1 s, 2 s, 4 s (7 s elapsed); the next 8 s would end at 15 s > 10 s.
  t.is(calls, 4);
  t.is(elapsedMs, 7_000);
  t.true(isBulkpipeError(error, ErrorCode.RETRIES_EXHAUSTED));
});

test('an abort during the wait rejects at once with signal.reason and leaves no timer behind', async (t) => {
  const time = new ManualTime();
  const controller = new AbortController();
  let calls = 0;
  const running = withRetry(
    async () => {
      calls++;
      throw reset();
    },
    { minDelayMs: 60_000, jitter: 'none' },
    { clock: time, timers: time, signal: controller.signal },
  );
  await time.advance(0);
  t.is(time.pendingCount, 1);
  const reason = new Error('user pressed ctrl-c');
  controller.abort(reason);
  t.is(await t.throwsAsync(running), reason);
  t.is(time.pendingCount, 0);
  t.is(calls, 1);
});

test('an already-aborted signal never calls the function', async (t) => {
  const reason = new Error('stopped');
  let calls = 0;
  await t.throwsAsync(
    withRetry(async () => void calls++, {}, { signal: AbortSignal.abort(reason) }),
    { is: reason },
  );
  t.is(calls, 0);
});

test('an abort during the call wins over the error the transport made of it', async (t) => {
  const controller = new AbortController();
  const reason = new Error('stop now');
  const error = await t.throwsAsync(
    withRetry(
      async ({ signal }) => {
        controller.abort(reason);
        t.true(signal.aborted);
        throw reset();
      },
      {},
      { signal: controller.signal },
    ),
  );
  t.is(error, reason);
});

test('policy defaults live in one block and invalid values are coded errors naming the option', (t) => {
  t.deepEqual(resolveRetryPolicy(), RETRY_DEFAULTS);
  t.true(Object.isFrozen(resolveRetryPolicy({ maxAttempts: 2 })));
  for (const [option, value] of [['maxAttempts', 0], ['maxAttempts', 1.5], ['factor', 0.5], ['minDelayMs', -1], ['maxDelayMs', Number.NaN], ['jitter', 'some']] as const) {
    const error = t.throws(() => resolveRetryPolicy({ [option]: value }));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_OPTION), option);
    t.is((error as unknown as { context: { option: string } }).context.option, option);
  }
  t.throws(() => resolveRetryPolicy({ minDelayMs: 5_000, maxDelayMs: 1_000 }), { message: /maxDelayMs/ });
});
