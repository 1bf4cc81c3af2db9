/**
 * The merge once its rows no longer fit the budget: every row goes to one of `partitions` temporary files by
 * a stable hash of its encoded id, so all rows of an id meet in one file. At the end each partition is merged
 * in memory on its own (partition-merger.ts; split again with another hash when it alone is over the budget)
 * and written back as a run sorted by first-seen sequence number; a k-way merge of the runs hands the rows to
 * the batcher in the very order the in-memory merge would have, so the batches are byte-identical to an
 * in-memory run. The partitions can be merged on two threads at once (mergePartitionsOnTwoThreads).
 *
 * What goes to disk: when the budget is reached, the ids of the first rows held stay in memory (ArenaMerge folds
 * later rows of theirs there, and drains them first); the other held rows (spillHeldFrom) and every row of
 * another id come here. Should the rows that stay held outgrow the budget after all (many later rows of their
 * ids), they are written out too (dumpHeld), into files of their own read before their partition's.
 *
 * Sequence numbers: a held row's is its slot (its first-seen order); rows that come here get the next numbers
 * from `firstSeq` (the ids held) on. Each partition's files, read in order, are therefore in seq order, each
 * id's first record is its first-seen row, and a partition's slots come out sorted by seq without a sort.
 */
import type { Worker } from 'node:worker_threads';
import type { RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import { deserializeError, startSiblingWorker } from '../parallel/worker-threads.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import type { HeldRows } from './held-rows.js';
import type { DrainTarget } from './held-rows.js';
import { mergedShapeNames } from './byte-fold.js';
import { PartitionMerger } from './partition-merger.js';
import type { MergedPartition } from './partition-merger.js';
import type { PartitionJob, PartitionWorkerInit, PartitionWorkerMessage } from './partition-worker-protocol.js';
import type { ShapeRegistry } from './row-shape.js';
import { createSpillDir, removeSpillDir } from './spill-dir.js';
import { RecordKind } from './spill-file.js';
import type { SpillWriter } from './spill-file.js';
import { SpillFiles } from './spill-files.js';
import { partitionOf, restoreFolded } from './spill-records.js';
import { RunMerge } from './run-merge.js';
import type { WorkerShapeIds } from './run-merge.js';
import { RUN_META_FIELDS } from './run-merge-protocol.js';
import { RunMergeClient } from './run-merge-client.js';
import { collectGarbage } from './collect-garbage.js';
import type { Extra } from './spill-records.js';

/** The partition worker's young generation, in MiB: it holds one partition's rows in buffers, little on its heap. */
const PARTITION_WORKER_YOUNG_GENERATION_MB = 8;
/**
 * Half the budget must be at least this for two threads to merge partitions: below it a partition's own index
 * and id table take much of its share (they start at ~50 KB), and tiny budgets are for tests and tight boxes.
 */
const MIN_PARTITION_BUDGET_BYTES = 1024 * 1024;
/** How long the drain waits for the run-merge worker's next chunk before letting the event loop in. */
const RECEIVE_WAIT_MS = 20;

export class SpilledMerge {
  readonly dir: string;
  private readonly files: SpillFiles;
  /** The partition files being written, until the input ends. */
  private writers: SpillWriter[] = [];
  /** The held rows, per partition, once they were written out (dumpHeld). */
  private heldWriters: SpillWriter[] = [];
  /** Partitions written and closed, not merged yet: each one's files in seq order. */
  private unmerged: (readonly string[])[] = [];
  /** Run files, each sorted by seq; the worker's runs carry its shape ids (see workerShapes). */
  private readonly runs: { readonly path: string; readonly fromWorker: boolean }[] = [];
  /** The partition worker's shape ids from `workerShapeBase` on, as ids of this thread's registry. */
  private readonly workerShapes: number[] = [];
  private workerShapeBase = Number.POSITIVE_INFINITY;
  private worker: Worker | undefined;
  private nextSeq: number;
  private disposed = false;
  /** The partitions were merged on two threads: the k-way merge goes on the second thread too. */
  private twoThreads = false;
  /** Bytes written to temporary files, for the summary and the docs' disk estimate. */
  spilledBytes = 0;

  constructor(
    tempDir: string,
    private readonly partitions: number,
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    private readonly shapes: ShapeRegistry,
    private readonly sources: string[],
    /** The seq of the first row added: the number of ids held in memory (their seqs are their slots). */
    firstSeq: number,
  ) {
    this.nextSeq = firstSeq;
    this.dir = createSpillDir(tempDir);
    this.files = new SpillFiles(this.dir);
    try {
      for (let p = 0; p < partitions; p++) this.writers.push(this.files.create('part'));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /**
   * Writes every row `held` holds out, in first-seen order with its slot as seq, to files of their own per
   * partition (their seqs are below those of every row added so far). Once, when the held rows outgrow the budget.
   */
  dumpHeld(held: HeldRows): void {
    for (let p = 0; p < this.partitions; p++) this.heldWriters.push(this.files.create('held'));
    this.writeHeld(held, 0, this.heldWriters);
  }

  /**
   * Writes the rows `held` holds from slot `from` on to their partitions, with their slots as seq: before any row
   * is added (their seqs are below those to come), when the spill starts and only the first rows stay held.
   */
  spillHeldFrom(held: HeldRows, from: number): void {
    this.writeHeld(held, from, this.writers);
  }

  private writeHeld(held: HeldRows, from: number, writers: readonly SpillWriter[]): void {
    const arena = held.arena;
    for (let slot = from; slot < held.size; slot++) {
      const buf = arena.bufferOf(slot);
      const start = arena.startOfSlot(slot);
      const idBytes = arena.idBytesOfSlot(slot);
      const writer = writers[partitionOf(buf, start, idBytes, 0, this.partitions)]!;
      const folded = held.bytesFoldedAt(slot);
      if (folded >= 0) {
        // A folded row is its bytes and shape, as a ROW, plus its origins (the first one in source and line).
        const folds = held.bytesFolded;
        const flat = folds.originsOf(folded);
        const origins: [number, number][] = [];
        for (let i = 0; i < flat.length; i += 2) origins.push([flat[i]!, flat[i + 1]!]);
        const extra: Extra = { r: held.rawIdOf(slot), o: origins };
        const setBy = folds.setByOf(folded);
        if (setBy !== undefined) extra.p = [...setBy];
        const conflict = folds.conflictOf(folded);
        if (conflict !== undefined) extra.c = [conflict.attribute, conflict.held, conflict.incoming];
        writer.write(RecordKind.FOLDED, slot, folds.shapeOf(folded), flat[0]!, flat[1]!, folds.bufferOf(folded), folds.startOf(folded), folds.endOf(folded), idBytes, JSON.stringify(extra));
      } else {
        const rawId = held.rawIdOf(slot);
        writer.write(RecordKind.ROW, slot, arena.shapeOfSlot(slot), arena.sourceOfSlot(slot), arena.lineOfSlot(slot), buf, start, start + arena.lengthOfSlot(slot), idBytes, rawId === undefined ? undefined : JSON.stringify({ r: rawId }));
      }
    }
  }

  /** One more row (encoded at `buf[start, end)`), after the spill started. */
  add(buf: Buffer, start: number, end: number, idBytes: number, shape: number, source: number, line: number, rawId: string | undefined): void {
    const writer = this.writers[partitionOf(buf, start, idBytes, 0, this.partitions)]!;
    writer.write(RecordKind.ROW, this.nextSeq++, shape, source, line, buf, start, end, idBytes, rawId === undefined ? undefined : JSON.stringify({ r: rawId }));
  }

  /**
   * Merges the partitions on this thread and on a partition worker at once, each thread taking the next file
   * as it is free and holding at most half the budget, so the drain has only the k-way merge left. Without
   * this call (or with a budget under 2 MiB), the drain merges them on this thread alone.
   */
  async mergePartitionsOnTwoThreads(signal: AbortSignal): Promise<void> {
    const budgetBytes = Math.floor(this.merge.maxMemoryBytes / 2);
    if (budgetBytes < MIN_PARTITION_BUDGET_BYTES) return;
    this.twoThreads = true;
    // What is left to hand out; `unmerged` keeps every file until it is merged (finished).
    const queue = [...this.closePartitions()];
    if (queue.length === 0) return;
    const here = new PartitionMerger(this.files, this.partitions, this.merge, budgetBytes, this.ctx, this.shapes, this.sources);
    const worker = this.startWorker(budgetBytes);
    let failure: unknown;
    const stop = (error: unknown): void => {
      failure ??= error;
      queue.length = 0; // neither thread takes another partition
    };
    const onWorker = (async (): Promise<void> => {
      while (queue.length > 0 && failure === undefined) {
        const paths = queue.pop()!;
        const answer = await this.ask(worker, { paths });
        if (answer.type === 'error') throw deserializeError(answer.error);
        this.adoptWorkerShapes(answer.newShapes);
        this.finished(answer, paths, true);
      }
    })().catch(stop);
    const onThisThread = (async (): Promise<void> => {
      while (queue.length > 0 && failure === undefined) {
        if (signal.aborted) throw signal.reason;
        const paths = queue.shift()!;
        this.finished(here.mergeFiles(paths), paths, false);
        // The worker's answers are read between partitions.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })().catch(stop);
    await Promise.all([onWorker, onThisThread]);
    // Its heap and its last partition's buffers go now, before the k-way merge builds the batches.
    this.worker = undefined;
    await worker.terminate();
    if (failure !== undefined) throw failure;
    if (signal.aborted) throw signal.reason;
  }

  /**
   * Merges whatever partitions are left (all of them, unless mergePartitionsOnTwoThreads ran), then hands every
   * row to `target` in first-seen order, yielding after each partition, every `every` rows and whenever
   * `ready()` says output is waiting.
   */
  *drain(target: DrainTarget, every = 1024, ready: () => boolean = () => false): Generator<void> {
    this.closePartitions();
    const here = new PartitionMerger(this.files, this.partitions, this.merge, this.merge.maxMemoryBytes, this.ctx, this.shapes, this.sources);
    while (this.unmerged.length > 0) {
      const paths = this.unmerged[0]!;
      this.finished(here.mergeFiles(paths), paths, false);
      yield;
      if (this.disposed) return;
    }
    // The partition merges' arena buffers go now, not beside the batch bodies the k-way merge fills (see
    // collect-garbage.ts).
    collectGarbage();
    if (this.twoThreads && this.runs.length > 1) yield* this.mergeRunsInWorker(target, every, ready);
    else yield* this.mergeRuns(target, every, ready);
  }

  /** Closes every file, ends the partition worker and removes the directory. Safe to call more than once, and mid-drain (abort). */
  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
    this.worker = undefined;
    this.files.abandon();
    removeSpillDir(this.dir);
  }

  /**
   * Closes the partition files once the input is over (again: nothing more to do); returns the partitions not
   * merged yet. The drain and mergePartitionsOnTwoThreads call it; ArenaMerge before the held rows are drained.
   */
  closePartitions(): (readonly string[])[] {
    this.writers.forEach((writer, p) => {
      const held = this.heldWriters[p];
      if (held !== undefined) this.spilledBytes += this.files.finish(held);
      this.spilledBytes += this.files.finish(writer);
      this.unmerged.push(held === undefined ? [writer.path] : [held.path, writer.path]);
    });
    this.writers = [];
    this.heldWriters = [];
    return this.unmerged;
  }

  /** Records a merged partition: its runs, its folds, its bytes; `paths` are merged no more. */
  private finished(merged: MergedPartition, paths: readonly string[], fromWorker: boolean): void {
    this.ctx.counters.merged += merged.folds;
    this.spilledBytes += merged.spilledBytes;
    for (const run of merged.runs) this.runs.push({ path: run, fromWorker });
    const index = this.unmerged.indexOf(paths);
    if (index >= 0) this.unmerged.splice(index, 1);
  }

  private startWorker(budgetBytes: number): Worker {
    const init: PartitionWorkerInit = {
      dir: this.dir,
      partitions: this.partitions,
      merge: this.merge,
      budgetBytes,
      sources: this.sources,
      shapes: this.shapes.shapes.map((shape) => [...shape.names]),
      mergedShapes: mergedShapeNames(this.shapes),
    };
    this.workerShapeBase = init.shapes.length;
    const worker = startSiblingWorker(import.meta.url, 'partition-worker', { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: PARTITION_WORKER_YOUNG_GENERATION_MB } });
    this.worker = worker;
    return worker;
  }

  /** Sends `job` to the worker and waits for its answer (the worker does one job at a time). */
  private ask(worker: Worker, job: PartitionJob): Promise<PartitionWorkerMessage> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (answer: PartitionWorkerMessage): void => {
        cleanup();
        resolve(answer);
      };
      const onError = (error: unknown): void => {
        cleanup();
        reject(error);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`bulkpipe bug: the partition worker exited (code ${code}) while merging ${job.paths.join(', ')}`));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  /** The names of shapes the worker interned past the base, in its id order, as this thread's ids. */
  private adoptWorkerShapes(names: readonly (readonly string[])[]): void {
    for (const list of names) this.workerShapes.push(this.shapes.intern(list).id);
  }

  /** The k-way merge of the sorted runs by seq (the in-memory merge's drain order), on this thread. */
  private *mergeRuns(target: DrainTarget, every: number, ready: () => boolean): Generator<void> {
    const merge = new RunMerge(this.files, this.runs, this.workerShapeIds());
    let count = 0;
    for (let reader = merge.next(); reader !== undefined; reader = merge.next()) {
      this.emit(reader.kind, reader.buf, reader.start, reader.end, reader.idBytes, merge.shapeOf(reader), reader.source, reader.line, reader.seq, reader.extra, false, target);
      if (++count % every === 0 || ready()) {
        yield;
        if (this.disposed) return;
      }
    }
    this.runs.length = 0;
  }

  /**
   * The k-way merge on the run-merge worker (run-merge-client.ts), this thread batching what it merged, and
   * yielding while no chunk is there yet so that the event loop — the worker's exit or error, an abort — runs.
   */
  private *mergeRunsInWorker(target: DrainTarget, every: number, ready: () => boolean): Generator<void> {
    const client = new RunMergeClient(this.dir, this.runs, this.workerShapeIds());
    this.worker = client.worker;
    let count = 0;
    try {
      for (;;) {
        const chunk = client.receive(RECEIVE_WAIT_MS);
        if (chunk === 'done') break;
        if (chunk === undefined) {
          yield;
          if (this.disposed) return;
          continue;
        }
        const { buf, meta, numbers, extras } = chunk;
        let e = 0;
        for (let i = 0; i < chunk.rows; i++) {
          const m = i * RUN_META_FIELDS;
          let extra: string | undefined;
          if (e < extras.length && extras[e] === i) {
            extra = extras[e + 1] as string;
            e += 2;
          }
          this.emit(meta[m]!, buf, meta[m + 1]!, meta[m + 2]!, meta[m + 3]!, meta[m + 4]!, meta[m + 5]!, numbers[2 * i]!, numbers[2 * i + 1]!, extra, true, target);
          if (++count % every === 0 || ready()) {
            yield;
            if (this.disposed) return;
          }
        }
        // The batcher may still owe copies of the chunk's rows (runs of lines): settle them before the worker writes there again.
        target.settle?.();
        client.release(chunk);
      }
    } finally {
      this.worker = undefined;
      client.close();
    }
    this.runs.length = 0;
  }

  /** One record of the k-way merge to `target` (a conflict of policy `reject`, or a row). */
  private emit(kind: number, buf: Buffer, start: number, end: number, idBytes: number, shape: number, source: number, line: number, seq: number, extraText: string | undefined, stable: boolean, target: DrainTarget): void {
    const extra = extraText === undefined ? undefined : (JSON.parse(extraText) as Extra);
    if (kind === RecordKind.CONFLICT) {
      target.conflict(restoreFolded(extra!, this.sources), seq);
      return;
    }
    const origins = extra?.o?.map(([source, line]): RowOrigin => ({ source: this.sources[source]!, line }));
    target.row(buf, start, end, idBytes, shape, extra?.r, origins, source, line, seq, stable);
  }

  private workerShapeIds(): WorkerShapeIds {
    return { base: this.workerShapeBase, ids: this.workerShapes };
  }
}
