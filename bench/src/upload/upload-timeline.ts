/**
 * Where an upload's wall time went, from the NDJSON events `bulkpipe run --json` prints (each carries the
 * CLI's own `time`). At every instant the uploader is in one of three states:
 *
 * - **no batch ready**: no submission in flight — it waits for the pipeline (read, merge, batch);
 * - **limiter / backoff**: every submission in flight is held by the call budget (`rate-limited`, lane
 *   `submit`, for its expected wait) or by a retry's backoff (`retry-scheduled`, for its delay);
 * - **sending**: a submission is on the wire or being answered.
 *
 * Caveat: the CLI prints `rate-limited` only for expected waits of ≥ 1 s, so shorter limiter waits count
 * as sending — they cannot change the verdict, which is about waits of many seconds.
 */

export interface UploadEvent {
  readonly event: string;
  /** Epoch ms. */
  readonly at: number;
  readonly seq?: number;
  readonly lane?: string;
  readonly expectedWaitMs?: number;
  readonly delayMs?: number;
  readonly operation?: string;
  readonly rows?: number;
  readonly bytes?: number;
}

export interface UploadTimeline {
  /** From the process start to the last batch accepted (or failed). */
  readonly spanMs: number;
  readonly noBatchReadyMs: number;
  /**
   * Time with fewer than `concurrency` submissions in flight: a slot was free, so no batch was waiting
   * (the sink admits one as soon as a slot frees). Includes `noBatchReadyMs`.
   */
  readonly freeSlotMs: number;
  readonly limiterMs: number;
  readonly sendingMs: number;
  /** From the process start to the first submission. */
  readonly firstBatchAfterMs: number;
  /** After the last answer until the process exited (report, files). */
  readonly tailMs: number;
  readonly batches: number;
  /** Submission start times, ms after the process start. */
  readonly submittedAtMs: readonly number[];
}

type Interval = readonly [start: number, end: number];

/** Time covered by `intervals` (which may overlap) inside [from, to). */
function covered(intervals: readonly Interval[], from: number, to: number): number {
  const clipped = intervals.map(([s, e]): Interval => [Math.max(s, from), Math.min(e, to)]).filter(([s, e]) => e > s);
  clipped.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = from;
  for (const [s, e] of clipped) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

export function uploadTimeline(events: readonly UploadEvent[], startedAt: number, exitedAt: number, concurrency: number): UploadTimeline {
  const submitting = new Map<number, number>();
  const answered = new Map<number, number>();
  // A retry names its batch. A limiter wait does not, and the limiter is account-wide: once it says the next
  // slot is N ms away (after a 503 it pushes every waiter back), every submission in flight then is held —
  // a batch already on the wire at that moment is counted as held too (≤ one upload time, small against waits
  // of tens of seconds).
  const retries: Array<[seq: number, interval: Interval]> = [];
  const closed: Interval[] = [];
  for (const e of events) {
    if (e.event === 'batch-submitting' && e.seq !== undefined && !submitting.has(e.seq)) submitting.set(e.seq, e.at);
    else if ((e.event === 'batch-accepted' || e.event === 'batch-failed') && e.seq !== undefined) answered.set(e.seq, e.at);
    else if (e.event === 'rate-limited' && e.lane === 'submit') closed.push([e.at, e.at + (e.expectedWaitMs ?? 0)]);
    else if (e.event === 'retry-scheduled' && e.operation === 'submit' && e.seq !== undefined) retries.push([e.seq, [e.at, e.at + (e.delayMs ?? 0)]]);
  }
  const held = new Map<number, Interval[]>();
  for (const seq of submitting.keys()) held.set(seq, [...closed, ...retries.filter(([of]) => of === seq).map(([, interval]) => interval)]);
  const interval = (seq: number, at: number): Interval => [at, answered.get(seq) ?? exitedAt];
  const inFlight: Interval[] = [...submitting].map(([seq, at]) => interval(seq, at));
  const lastAnswer = inFlight.reduce((last, [, end]) => Math.max(last, end), startedAt);
  const busy = covered(inFlight, startedAt, lastAnswer);
  // held time counts only while its batch is in flight; an instant is "limiter" only when no other
  // submission is on the wire at the same time
  const heldInFlight: Interval[] = [];
  const onWire: Interval[] = [];
  for (const [seq, at] of submitting) {
    const [s, e] = interval(seq, at);
    const holds = held.get(seq) ?? [];
    heldInFlight.push(...holds.map(([hs, he]): Interval => [Math.max(s, hs), Math.min(e, he)]).filter(([hs, he]) => he > hs));
    onWire.push(...subtract([s, e], holds));
  }
  const limiter = covered(heldInFlight, startedAt, lastAnswer) - overlap(heldInFlight, onWire, startedAt, lastAnswer);
  const submittedAtMs = [...submitting.values()].sort((a, b) => a - b).map((at) => at - startedAt);
  return {
    spanMs: lastAnswer - startedAt,
    noBatchReadyMs: lastAnswer - startedAt - busy,
    freeSlotMs: lastAnswer - startedAt - atLeast(inFlight, concurrency, startedAt, lastAnswer),
    limiterMs: limiter,
    sendingMs: busy - limiter,
    firstBatchAfterMs: submittedAtMs[0] ?? exitedAt - startedAt,
    tailMs: exitedAt - lastAnswer,
    batches: submitting.size,
    submittedAtMs,
  };
}

/** `interval` minus every interval in `holes`. */
function subtract(interval: Interval, holes: readonly Interval[]): Interval[] {
  let pieces: Interval[] = [interval];
  for (const [hs, he] of holes) {
    pieces = pieces.flatMap(([s, e]): Interval[] => {
      if (he <= s || hs >= e) return [[s, e]];
      const out: Interval[] = [];
      if (hs > s) out.push([s, hs]);
      if (he < e) out.push([he, e]);
      return out;
    });
  }
  return pieces;
}

/** Time inside [from, to) covered by both sets. */
function overlap(a: readonly Interval[], b: readonly Interval[], from: number, to: number): number {
  const both = a.flatMap(([as, ae]) => b.map(([bs, be]): Interval => [Math.max(as, bs), Math.min(ae, be)])).filter(([s, e]) => e > s);
  return covered(both, from, to);
}

/** Time inside [from, to) during which at least `count` intervals are open at once. */
function atLeast(intervals: readonly Interval[], count: number, from: number, to: number): number {
  const edges: Array<[at: number, delta: number]> = [];
  for (const [s, e] of intervals) {
    const cs = Math.max(s, from);
    const ce = Math.min(e, to);
    if (ce > cs) edges.push([cs, 1], [ce, -1]);
  }
  // closing edges first at the same instant: back-to-back submissions do not count as overlapping
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let total = 0;
  let since = from;
  for (const [at, delta] of edges) {
    if (open >= count) total += at - since;
    open += delta;
    since = at;
  }
  return total;
}
