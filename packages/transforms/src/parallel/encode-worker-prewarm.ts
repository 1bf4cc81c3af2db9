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
 * The worker's young generation, in MiB. V8's default lets it grow to 32 MiB of semi-spaces. The fast lane
 * (which also maps records when there is a mapping) makes little garbage: 2 is ~35 MB smaller at the process's
 * peak (the end of input, when the worker and every held row are alive together) than the default and no slower.
 * Records the lane leaves to the parse step become strings and objects, whose garbage dies young: an input
 * where that is most records (a non-ASCII delimiter, integer-like attribute names) runs ~20 % slower with 2
 * than with 32 (measured on the 1M-row reference export before the lane mapped records).
 */
const WORKER_YOUNG_GENERATION_MB = 2;
export const WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };

/** What a prewarmed worker is started with instead of its EncodeWorkerInit. */
export const PREWARMED = 'bulkpipe:prewarmed';

let prewarmed: Worker | undefined;

/** Starts an encode worker now, for the next run to take. Only for the built package (not under tsx). */
export function prewarmEncodeWorker(): void {
  if (prewarmed !== undefined || import.meta.url.endsWith('.ts')) return;
  const worker = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData: PREWARMED, resourceLimits: WORKER_LIMITS });
  worker.unref();
  // A worker that failed or ended before it was taken is not handed out; the run starts its own.
  const forget = (): void => {
    if (prewarmed === worker) prewarmed = undefined;
  };
  worker.once('error', forget);
  worker.once('exit', forget);
  prewarmed = worker;
}

/** The prewarmed worker, if there is one (it is the caller's now, referenced again), else undefined. */
export function takePrewarmedWorker(): Worker | undefined {
  const worker = prewarmed;
  prewarmed = undefined;
  worker?.ref();
  return worker;
}
