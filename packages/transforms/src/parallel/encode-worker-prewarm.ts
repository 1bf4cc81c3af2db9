/**
 * Starting the encode worker before it is needed. Loading its modules takes ~0.1 s; started as the CLI starts,
 * that runs beside the main thread's own module loading instead of after it. A prewarmed worker waits for its
 * EncodeWorkerInit message (encode-in-worker.ts posts it); one never taken is unref'd, so it does not keep the
 * process alive, and it goes when the process does.
 *
 * This module imports nothing but worker_threads: the CLI loads it first thing (`@bulkpipe/transforms/prewarm`).
 */
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * The worker's young generation, in MiB, by the path its records take. V8's default lets it grow to 32 MiB of
 * semi-spaces. The fast lane makes little garbage: 2 is ~35 MB smaller at the process's peak (the end of input,
 * when the worker and every held row are alive together) than the default and no slower. Records parsed into
 * strings and objects (with a mapping) make garbage that dies young: with 2 the worker spent a third of its
 * time collecting it, and runs were ~20 % slower than with 32 (1M-row reference export, both measured in
 * bench/RESULTS.md).
 */
const LANE_YOUNG_GENERATION_MB = 2;
const RECORDS_YOUNG_GENERATION_MB = 32;

/** The worker's resource limits when its inputs take the fast lane (`lane`) or the record path. */
export function workerLimits(lane: boolean): ResourceLimits {
  return { maxYoungGenerationSizeMb: lane ? LANE_YOUNG_GENERATION_MB : RECORDS_YOUNG_GENERATION_MB };
}

/** What a prewarmed worker is started with instead of its EncodeWorkerInit. */
export const PREWARMED = 'bulkpipe:prewarmed';

let prewarmed: { readonly worker: Worker; readonly lane: boolean } | undefined;

/**
 * Starts an encode worker now, for the next run to take, sized for the fast lane (`lane`, a guess from the
 * command line) or the record path. Only for the built package (not under tsx).
 */
export function prewarmEncodeWorker(lane = true): void {
  if (prewarmed !== undefined || import.meta.url.endsWith('.ts')) return;
  const worker = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData: PREWARMED, resourceLimits: workerLimits(lane) });
  worker.unref();
  // A worker that failed or ended before it was taken is not handed out; the run starts its own.
  const forget = (): void => {
    if (prewarmed?.worker === worker) prewarmed = undefined;
  };
  worker.once('error', forget);
  worker.once('exit', forget);
  prewarmed = { worker, lane };
}

/**
 * The prewarmed worker, if there is one sized for `lane` (it is the caller's now, referenced again), else
 * undefined. One sized for the other path (the guess missed a mapping in a config file) is ended.
 */
export function takePrewarmedWorker(lane: boolean): Worker | undefined {
  const taken = prewarmed;
  prewarmed = undefined;
  if (taken === undefined) return undefined;
  if (taken.lane !== lane) {
    void taken.worker.terminate();
    return undefined;
  }
  taken.worker.ref();
  return taken.worker;
}
