/** What the main thread and the partition worker (partition-worker.ts) say to each other: plain, cloneable data. */
import type { SerializedError } from '../parallel/worker-threads.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import type { MergedPartition } from './partition-merger.js';

export interface PartitionWorkerInit {
  readonly dir: string;
  readonly partitions: number;
  readonly merge: ResolvedMergeOptions;
  readonly budgetBytes: number;
  readonly sources: readonly string[];
  /** The run's shapes by names, in id order (the ids spill records carry)… */
  readonly shapes: readonly (readonly string[])[];
  /** …and its merged shapes (the ids FOLDED records carry). */
  readonly mergedShapes: readonly (readonly string[])[];
}

/** Main → worker: merge this partition (its files, in seq order: see PartitionMerger.mergeFiles). */
export interface PartitionJob {
  readonly paths: readonly string[];
}

/**
 * Worker → main: the partition is merged. Its runs' shape ids are the main thread's below `shapes.length` of the
 * init; `newShapes` are the names of the shapes the worker interned past them since its last answer, in id order.
 */
export type PartitionWorkerMessage = ({ readonly type: 'merged'; readonly newShapes: string[][] } & MergedPartition) | { readonly type: 'error'; readonly error: SerializedError };
