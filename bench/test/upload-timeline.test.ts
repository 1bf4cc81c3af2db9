import test from 'ava';
import { uploadTimeline } from '../src/upload/upload-timeline.js';
import type { UploadEvent } from '../src/upload/upload-timeline.js';

const submit = (seq: number, at: number): UploadEvent => ({ event: 'batch-submitting', seq, at });
const accept = (seq: number, at: number): UploadEvent => ({ event: 'batch-accepted', seq, at });

test('time before the first batch and between batches is "no batch ready"; the rest is sending', (t) => {
  const timeline = uploadTimeline([submit(1, 10), accept(1, 20), submit(2, 30), accept(2, 35)], 0, 37, 2);
  t.like(timeline, { spanMs: 35, noBatchReadyMs: 20, sendingMs: 15, limiterMs: 0, firstBatchAfterMs: 10, tailMs: 2, batches: 2 });
  // one submission at a time with two slots: a slot was free the whole span
  t.is(timeline.freeSlotMs, 35);
});

test('a limiter wait holds every submission in flight; time with both slots taken is not "slot free"', (t) => {
  const events: UploadEvent[] = [submit(1, 0), submit(2, 1), { event: 'rate-limited', lane: 'submit', expectedWaitMs: 50, at: 2 }, accept(1, 52), accept(2, 60)];
  const timeline = uploadTimeline(events, 0, 60, 2);
  t.like(timeline, { spanMs: 60, noBatchReadyMs: 0, limiterMs: 50, sendingMs: 10 });
  t.is(timeline.freeSlotMs, 1 + 8);
});

test('a poll waiting for the limiter holds no submission; a retry backoff holds its own batch', (t) => {
  const events: UploadEvent[] = [
    submit(1, 0),
    { event: 'rate-limited', lane: 'poll', expectedWaitMs: 30, at: 0 },
    { event: 'retry-scheduled', operation: 'submit', seq: 1, delayMs: 5, at: 2 },
    accept(1, 10),
  ];
  t.like(uploadTimeline(events, 0, 10, 2), { limiterMs: 5, sendingMs: 5, noBatchReadyMs: 0 });
});

test('a batch that never got an answer counts as in flight until the process exits', (t) => {
  t.like(uploadTimeline([submit(1, 5)], 0, 12, 2), { spanMs: 12, noBatchReadyMs: 5, sendingMs: 7, tailMs: 0 });
});
