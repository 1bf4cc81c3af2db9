/**
 * Starting the encode worker before it is needed. Loading its modules takes ~0.1 s; started as the CLI starts,
 * that runs beside the main thread's own module loading instead of after it. A prewarmed worker waits for its
 * EncodeWorkerInit message (encode-in-worker.ts posts it); one never taken is unref'd, so it does not keep the
 * process alive, and it goes when the process does.
 *
 * This module imports nothing but worker_threads: the CLI loads it first thing (`@bulkpipe/transforms/prewarm`).
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker's young generation, in MiB. V8's default lets it grow to 32 MiB of semi-spaces for a thread whose
 * garbage dies young anyway. Measured on the 1M-row reference export: 8 was ~25 MB smaller than the default and
 * no slower; with the fast lane (which makes little garbage) 2 is another ~10 MB smaller at the process's peak
 * (the end of input, when the worker and every held row are alive together) and no slower; a run with a
 * mapping (the parser's strings) is ~2 % slower with 2 than with 8.
 */
const WORKER_YOUNG_GENERATION_MB = 2;
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };

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
