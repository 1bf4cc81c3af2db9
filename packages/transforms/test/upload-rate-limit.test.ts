import test from 'ava';
import { ManualTime } from '@bulkpipe/core';
import type { CallBudget } from '@bulkpipe/core';
import { PriorityBudget } from '../src/upload/priority-budget.js';
import { runUpload } from '../src/assemble/upload-run.js';
import { CLIENT, context, emulator, fastRun, tempDir, writeExport } from './upload-helpers.js';

test('the run never exceeds its call budget: counted server-side, submissions and polls together', async (t) => {
  const windowMs = 800;
  // The emulator counts arrivals, the client counts starts: on a loaded machine a request can take a few hundred
  // ms to arrive, bunching arrivals. The emulator's window is half the client's, so only a real breach (six
  // starts in one client window) can make it refuse a call — not a slow event loop. (Regression: flaky at 60 ms.)
  const serverWindowMs = windowMs / 2;
  const server = await emulator({ clients: { [CLIENT]: { rateLimitCalls: 5, rateLimitWindowMs: serverWindowMs } } });
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = await writeExport(dir, 60);
  const report = await runUpload(fastRun(server, input, { batch: { maxRows: 6 }, callsPerMinute: 5, rateWindowMs: windowMs, random: () => 0 }), context());
  t.is(report.outcome, 'complete');
  const calls = server.calls().filter((call) => call.endpoint === 'batchStatus' || call.endpoint.startsWith('batchUpdate'));
  t.true(calls.length >= 20, `${calls.length} calls`);
  t.false(calls.some((call) => call.status === 503), 'the emulator never had to refuse a call');
  const times = calls.map((call) => Date.parse(call.at)).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((at) => at >= (times[i] as number) && at < (times[i] as number) + serverWindowMs).length);
  t.true(most <= 5, `at most 5 calls in any window, saw ${most}`);
});

/** A budget that grants nothing until released, first come first served, to watch what queues when. */
class GateBudget implements CallBudget {
  private readonly queue: Array<() => void> = [];
  acquire(): Promise<void> {
    return new Promise((resolve) => this.queue.push(resolve));
  }
  penalize(): void {}
  release(): void {
    this.queue.shift()?.();
  }
  get waiting(): number {
    return this.queue.length;
  }
}

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('polls wait while a submission is queued, and at most one poll is ever queued in the limiter', async (t) => {
  const time = new ManualTime(0);
  const gate = new GateBudget();
  const budget = new PriorityBudget(gate, { callsPerWindow: 10, windowMs: 1000, reservedPollShare: 0, clock: time, timers: time });
  const order: string[] = [];
  void budget.submissions.acquire().then(() => order.push('submit-1'));
  void budget.polls.acquire().then(() => order.push('poll-1'));
  void budget.polls.acquire().then(() => order.push('poll-2'));
  await tick();
  t.is(gate.waiting, 1, 'polls hold back while a submission waits');
  gate.release();
  await tick();
  t.is(gate.waiting, 1, 'then one poll joins, not two');
  void budget.submissions.acquire().then(() => order.push('submit-2'));
  await tick();
  t.is(gate.waiting, 2, 'a submission queues behind at most one poll');
  gate.release();
  await tick();
  t.is(gate.waiting, 1, 'the second poll waits for the submission');
  gate.release();
  await tick();
  t.is(gate.waiting, 1, 'now the second poll joins');
  gate.release();
  await tick();
  t.deepEqual(order, ['submit-1', 'poll-1', 'submit-2', 'poll-2']);
});

test('the reserved share lets a poll through while submissions keep waiting, once per window', async (t) => {
  const time = new ManualTime(0);
  const gate = new GateBudget();
  const budget = new PriorityBudget(gate, { callsPerWindow: 10, windowMs: 1000, reservedPollShare: 0.1, clock: time, timers: time });
  t.is(budget.reservedPollCalls, 1);
  const order: string[] = [];
  void budget.submissions.acquire().then(() => order.push('submit-1'));
  void budget.submissions.acquire().then(() => order.push('submit-2'));
  void budget.polls.acquire().then(() => order.push('poll-1'));
  void budget.polls.acquire().then(() => order.push('poll-2'));
  await tick();
  t.is(gate.waiting, 3, 'one poll joins on the reserved share although submissions wait');
  gate.release();
  gate.release();
  gate.release();
  void budget.submissions.acquire().then(() => order.push('submit-3'));
  await tick();
  t.deepEqual(order, ['submit-1', 'submit-2', 'poll-1']);
  t.is(gate.waiting, 1, 'the share is used up in this window: the second poll waits');
  await time.advance(1001);
  await tick();
  t.is(gate.waiting, 2, 'once the first poll left the window, the second joins');
});
