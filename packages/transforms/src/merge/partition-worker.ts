/**
 * The partition worker: merges spilled partitions (partition-merger.ts) beside the main thread, which merges
 * others meanwhile: the partitions are independent, and after the input is read the encode worker's core is
 * free. One partition file per message; it answers with the runs it wrote, the rows it folded, the bytes it
 * wrote and the shapes it interned (a fold's merged shapes), which the main thread maps its runs' shape ids by.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RunContext } from '../run-context.js';
import { serializeError } from '../parallel/worker-threads.js';
import { seedMergedShapes } from './byte-fold.js';
import { PartitionMerger } from './partition-merger.js';
import type { PartitionJob, PartitionWorkerInit, PartitionWorkerMessage } from './partition-worker-protocol.js';
import { ShapeRegistry } from './row-shape.js';
import { SpillFiles } from './spill-files.js';

const init = workerData as PartitionWorkerInit;
const port = parentPort!;
const shapes = new ShapeRegistry();
for (const names of init.shapes) shapes.intern(names);
seedMergedShapes(shapes, init.mergedShapes);
let reported = shapes.shapes.length;
const files = new SpillFiles(init.dir, 'w-');
// Nothing here counts or rejects: folds are counted by the main thread from the answer.
const ctx = new RunContext({ enforceRejectRate: false });
const merger = new PartitionMerger(files, init.partitions, init.merge, init.budgetBytes, ctx, shapes, init.sources);

port.on('message', (job: PartitionJob) => {
  let answer: PartitionWorkerMessage;
  try {
    const merged = merger.mergeFiles(job.paths);
    const newShapes = shapes.shapes.slice(reported).map((shape) => [...shape.names]);
    reported = shapes.shapes.length;
    answer = { type: 'merged', newShapes, ...merged };
  } catch (error) {
    files.abandon();
    answer = { type: 'error', error: serializeError(error) };
  }
  port.postMessage(answer);
});
