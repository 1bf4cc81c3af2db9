/**
 * One partition of a spilled merge, merged in memory on its own: its records (all the rows of its ids) are held
 * and folded as the in-memory merge would, then written back as a run sorted by first-seen seq. A partition
 * still over its budget is split again by another hash and each part merged the same way. Runs on the thread
 * that spilled, and on the partition worker (partition-worker.ts) beside it.
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { HeldRows } from './held-rows.js';
import { ArenaBufferPool } from './row-arena.js';
import type { ShapeRegistry } from './row-shape.js';
import { RecordKind } from './spill-file.js';
import type { SpillWriter } from './spill-file.js';
import type { SpillFiles } from './spill-files.js';
import { partitionOf, runTarget } from './spill-records.js';
import type { Extra } from './spill-records.js';

/** A partition still over the budget after this many re-splits holds one huge id (or a tiny budget): stop. */
const MAX_SPLIT_DEPTH = 3;
/**
 * Arena buffers of a partition's merge. Above 32 MiB, glibc's largest mmap threshold, so each is its own mapping
 * whatever blocks were freed before: at 8 MiB they came from malloc's heap once a freed block of 8–32 MiB had
 * raised the threshold (it follows the largest block freed), and that memory was never given back — a 10M-row
 * split then peaked 25–45 MB higher while its partitions were merged. Only the pages a partition writes are
 * committed (a partition of the 10M-row export holds ~28 MB of rows), and the pool keeps them for the next.
 */
const PARTITION_ARENA_BYTES = 32 * 1024 * 1024 + 64 * 1024;

/** What merging a partition gave: its run files (one, or one per part of a re-split), the rows folded, the bytes written. */
export interface MergedPartition {
  readonly runs: string[];
  readonly folds: number;
  readonly spilledBytes: number;
}

export class PartitionMerger {
  /** The arena buffers of one partition's merge, taken by the next's (the budget's worth at most). */
  private readonly arenaPool: ArenaBufferPool;

  constructor(
    private readonly files: SpillFiles,
    private readonly partitions: number,
    private readonly merge: ResolvedMergeOptions,
    /** What one partition may hold: the merge's budget, or a share of it when two are merged at once. */
    private readonly budgetBytes: number,
    private readonly ctx: RunContext,
    private readonly shapes: ShapeRegistry,
    private readonly sources: readonly string[],
  ) {
    this.arenaPool = new ArenaBufferPool(PARTITION_ARENA_BYTES, Math.ceil(budgetBytes / PARTITION_ARENA_BYTES));
  }

  /**
   * Merges one partition into runs and removes its files: `paths` are its files in seq order (the rows a merge
   * held in memory until it wrote them out, if it did, then the partition's own file; see SpilledMerge).
   */
  mergeFiles(paths: readonly string[]): MergedPartition {
    const merged = { runs: [] as string[], folds: 0, spilledBytes: 0 };
    this.mergeInto(merged, paths, 0);
    return merged;
  }

  private mergeInto(merged: { runs: string[]; folds: number; spilledBytes: number }, paths: readonly string[], depth: number): void {
    const rows = new HeldRows(this.merge, this.ctx, this.shapes, this.sources, { trackSeq: true, arenaChunkBytes: PARTITION_ARENA_BYTES, arenaPool: this.arenaPool });
    let folds = 0;
    let over = false;
    for (const path of paths) {
      const reader = this.files.open(path);
      while (reader.next()) {
        const arena = rows.arena;
        const bytes = reader.end - reader.start;
        const at = arena.ensure(arena.rowStart, bytes);
        reader.buf.copy(arena.buf, at, reader.start, reader.end);
        const extra = reader.extra === undefined ? undefined : (JSON.parse(reader.extra) as Extra);
        if (reader.kind === RecordKind.FOLDED) {
          const c = extra!.c;
          const conflict = c === undefined ? undefined : { attribute: c[0], held: c[1], incoming: c[2] };
          rows.holdFoldedBytes(extra!.r, reader.idBytes, at + bytes, reader.shape, extra!.o!.flat(), reader.seq, extra!.p, conflict);
        } else {
          if (rows.hold(extra?.r, reader.idBytes, at + bytes, reader.shape, reader.source, reader.line, reader.seq)) folds++;
        }
        if (rows.estimatedBytes > this.budgetBytes) {
          over = true;
          break;
        }
      }
      this.files.close(reader);
      if (over) break;
    }
    if (over) {
      const held = rows.size;
      rows.clear();
      if (depth >= MAX_SPLIT_DEPTH) throw this.partitionTooLarge(held);
      for (const part of this.split(merged, paths, depth + 1)) this.mergeInto(merged, [part], depth + 1);
      return;
    }
    merged.folds += folds;
    const writer = this.files.create('run');
    for (const _ of rows.drain(runTarget(writer, this.sources)));
    merged.spilledBytes += this.files.finish(writer);
    merged.runs.push(writer.path);
    for (const path of paths) this.files.remove(path);
  }

  /** Splits a partition's files into `partitions` files by another hash; records keep their order and seq. */
  private split(merged: { spilledBytes: number }, paths: readonly string[], depth: number): string[] {
    const parts: SpillWriter[] = [];
    for (let p = 0; p < this.partitions; p++) parts.push(this.files.create('part'));
    for (const path of paths) {
      const reader = this.files.open(path);
      while (reader.next()) {
        const writer = parts[partitionOf(reader.buf, reader.start, reader.idBytes, depth, this.partitions)]!;
        writer.write(reader.kind, reader.seq, reader.shape, reader.source, reader.line, reader.buf, reader.start, reader.end, reader.idBytes, reader.extra);
      }
      this.files.close(reader);
      this.files.remove(path);
    }
    return parts.map((writer) => {
      merged.spilledBytes += this.files.finish(writer);
      return writer.path;
    });
  }

  private partitionTooLarge(held: number): BulkpipeError {
    const { maxMemoryBytes } = this.merge;
    const share = this.budgetBytes < maxMemoryBytes ? ` (its share of it while two partitions are merged at once: ${(this.budgetBytes / 1024 / 1024).toFixed(1)} MiB)` : '';
    return new BulkpipeError(
      ErrorCode.MEMORY_BUDGET_EXCEEDED,
      `Merge by id spilled to disk, but one partition of ids still holds more than the memory budget of ` +
        `${(maxMemoryBytes / 1024 / 1024).toFixed(1)} MiB (maxMemoryBytes ${maxMemoryBytes})${share} after ${MAX_SPLIT_DEPTH} re-splits ` +
        `(${held.toLocaleString('en-US')} ids held): a few ids with very many rows, or a budget too small for the rows. Raise --memory.`,
      { option: 'maxMemoryBytes' },
    );
  }
}
