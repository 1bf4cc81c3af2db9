/**
 * The k-way merge of a spilled merge's sorted runs by seq: the in-memory merge's drain order, one record at a
 * time. Used on the main thread (one thread) and by the run-merge worker (run-merge-worker.ts), which hands the
 * main thread the records in chunks.
 */
import type { SpillReader } from './spill-file.js';
import type { SpillFiles } from './spill-files.js';

/** A run file, and whether the partition worker wrote it (its shape ids then need mapping). */
export interface SpillRun {
  readonly path: string;
  readonly fromWorker: boolean;
}

/** The partition worker's shape ids from `base` on, as the main thread's ids (`ids[id - base]`). */
export interface WorkerShapeIds {
  readonly base: number;
  readonly ids: readonly number[];
}

export class RunMerge {
  private readonly heap: SpillReader[] = [];
  private readonly workerReaders = new Set<SpillReader>();
  /** The reader holding the record handed out last, advanced by the next call to `next`. */
  private current: SpillReader | undefined;

  constructor(
    private readonly files: SpillFiles,
    runs: readonly SpillRun[],
    private readonly workerShapes: WorkerShapeIds,
  ) {
    for (const run of runs) {
      const reader = files.open(run.path);
      if (run.fromWorker) this.workerReaders.add(reader);
      if (reader.next()) heapPush(this.heap, reader);
      else files.close(reader);
    }
  }

  /**
   * The reader whose current record is the next one in seq order (valid until the next call), or undefined once
   * every run is read; a run read to its end is closed and removed.
   */
  next(): SpillReader | undefined {
    const previous = this.current;
    if (previous !== undefined) {
      if (previous.next()) {
        heapFix(this.heap);
      } else {
        this.files.close(heapPop(this.heap));
        this.files.remove(previous.path);
      }
    }
    this.current = this.heap[0];
    return this.current;
  }

  /** The current record's shape id on the main thread. */
  shapeOf(reader: SpillReader): number {
    const shape = reader.shape;
    const { base, ids } = this.workerShapes;
    return shape >= base && this.workerReaders.has(reader) ? ids[shape - base]! : shape;
  }
}

// A binary min-heap of readers by their current record's seq.
function heapPush(heap: SpillReader[], reader: SpillReader): void {
  heap.push(reader);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.seq <= reader.seq) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = reader;
}

function heapPop(heap: SpillReader[]): SpillReader {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    heapFix(heap);
  }
  return top;
}

/** Restores the heap after the top's seq grew. */
function heapFix(heap: SpillReader[]): void {
  const n = heap.length;
  const reader = heap[0]!;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1]!.seq < heap[child]!.seq) child++;
    if (heap[child]!.seq >= reader.seq) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = reader;
}
