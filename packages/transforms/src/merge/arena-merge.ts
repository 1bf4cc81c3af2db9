/**
 * Validate, encode and merge by id in one step over a byte arena, then hand the held rows to the byte
 * batcher in first-seen id order: the fast path of `runBatchPipeline`. Its output — batches, rejects,
 * warnings, counters — is the same as validate → merge → batch over ProfileRows (see the differential test);
 * the public steps stay for callers who embed single stages.
 *
 * Within the memory budget the rows stay in memory (held-rows.ts). Past it the merge spills: the ids of the
 * first rows stay held (later rows of theirs fold into them in memory), and the rows of every other id go to
 * temporary files partitioned by id, merged partition by partition at the end and put back in first-seen order
 * (spilled-merge.ts). Every held id was first seen before any id on disk, so the held rows are drained first,
 * as soon as the input ends, and the spilled ones after them — the same batches, byte for byte, in bounded
 * memory, and an input a little over the budget writes little to disk. Only the ids of the first rows stay
 * held (whole arena buffers, leaving FOLD_ROOM_SHARE of the budget); should they outgrow the budget through
 * folds (an input with many later rows of early ids), they go to disk too and the merge goes on wholly there.
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { InputRecord } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ByteBatcher } from '../batch/byte-batcher.js';
import { RecordEncoder } from '../validate/record-encoder.js';
import type { ValidateOptions } from '../validate/validate-options.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { rejectConflicting } from './merge-step.js';
import { HeldRows } from './held-rows.js';
import type { DrainTarget } from './held-rows.js';
import { ShapeRegistry } from './row-shape.js';
import { SpilledMerge } from './spilled-merge.js';
import { collectGarbage } from './collect-garbage.js';
import { SLOT_BYTES } from './row-arena.js';
import { SourceLabels } from './source-labels.js';

/** The id table's bytes per held id (8-byte entries, at most half full). */
const TABLE_BYTES_PER_ROW = 16;
/** The encoder's buffer once rows only pass through it on their way to a spill file. */
const SPILLING_ARENA_BYTES = 1024 * 1024;
/**
 * The share of the budget left for what the ids kept in memory fold in after it was reached: whole arena buffers of
 * rows are let go (to disk) until the estimate is below the rest. At the default budget that keeps ~150 MB of the
 * ~200 MB of rows held (a 50 MB buffer less). Keeping every held row left no room: they outgrew the budget at the
 * first fold and all went to disk (1.3M rows 3.8 s against 2.9 s); keeping whole buffers up to half the budget's
 * rows (100 MB) cost 1.3M rows 2.81–2.84 s against 2.63–2.72 s and 5M 10.4–10.5 s against 9.7–9.9 s, and kept one
 * buffer at `--memory 128MiB`, where keeping the buffer that straddles half left no room again (2.48 s against 2.67 s).
 */
const FOLD_ROOM_SHARE = 1 / 8;

export class ArenaMerge {
  private readonly shapes = new ShapeRegistry();
  private readonly encoder: RecordEncoder;
  private readonly sourceLabels = new SourceLabels();
  /** Input labels, indexed by the source numbers rows carry. */
  private readonly sources = this.sourceLabels.labels;
  private readonly held: HeldRows;
  private spill: SpilledMerge | undefined;
  /** Ids kept in memory when the merge spilled (0 once they went to disk too), for the run's SpillReport. */
  private idsKept = 0;
  /** The chunk `pushEncoded` reads, and how far its bytes moved into the arena. */
  private chunk: Buffer | undefined;
  private chunkShift = 0;

  constructor(
    validate: ValidateOptions,
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    /** Size of each arena buffer. @default 64 MiB */
    arenaChunkBytes?: number,
    /** Bytes left free in front of the first buffer's rows, so it too can be a batch body in place (claimBuffer). @default 0 */
    arenaHeadRoom?: number,
    /** Threads a spill's partitions may be merged on (see prepareDrain). @default 1 */
    private readonly spillThreads: 1 | 2 = 1,
  ) {
    this.held = new HeldRows(merge, ctx, this.shapes, this.sources, { arenaChunkBytes, arenaHeadRoom });
    this.encoder = new RecordEncoder(validate, ctx, this.held.arena, this.shapes);
  }

  /** Ids held in memory (0 once their rows went to disk, and after the drain). */
  get size(): number {
    return this.held.size;
  }

  get estimatedBytes(): number {
    return this.held.estimatedBytes;
  }

  /** Whether the merge passed its budget and went to disk. */
  get spilled(): boolean {
    return this.spill !== undefined;
  }

  /** The spill's private directory, while it exists. */
  get spillDir(): string | undefined {
    return this.spill?.dir;
  }

  push(record: InputRecord): void {
    if (!this.encoder.encode(record)) return;
    const row = this.encoder.row;
    // Same length: the encoding changed nothing, so the held bytes are the raw id (no string kept for it).
    this.keep(row.idBytes === row.id.length ? undefined : row.id, row.idBytes, row.end, row.shape.id, this.sourceLabels.indexOf(record.source), record.line);
  }

  /**
   * Takes the bytes of a chunk of rows validated and encoded elsewhere (a worker thread, parallel/): `src[from,
   * to)` holds every row of the chunk, as RecordEncoder writes them. They are copied into the arena with one copy
   * (a copy per row cost more than the bytes); `pushEncoded` then keeps or folds each row in order.
   */
  appendEncoded(src: Buffer, from: number, to: number): void {
    this.chunk = src;
    if (this.spill === undefined) this.chunkShift = this.held.arena.append(src, from, to) - from;
  }

  /**
   * One row of the chunk given to `appendEncoded`: `[start, end)` in its `src`, `shape` an id of this merge's
   * registry (see `addShape`), `rawId` the raw id when its encoding differs. Same result as `push` of the record
   * it came from.
   */
  pushEncoded(start: number, end: number, idBytes: number, shape: number, source: string, line: number, rawId: string | undefined): void {
    const sourceIndex = this.sourceLabels.indexOf(source);
    if (this.spill !== undefined) {
      this.foldOrSpill(this.chunk!, start, end, idBytes, shape, sourceIndex, line, rawId);
      return;
    }
    const shift = this.chunkShift;
    if (this.held.holdPlaced(start + shift, rawId, idBytes, end + shift, shape, sourceIndex, line)) this.ctx.counters.merged++;
    if (this.held.estimatedBytes > this.merge.maxMemoryBytes) this.startSpill();
  }

  /**
   * Makes room in the id index and table for about `rows` ids at once, so they do not grow and rehash on the way
   * (a fifth of the merge's time on a million ids). Capped at what the memory budget can hold at the row size seen
   * so far: past that the merge spills, and a larger index would only spill it sooner.
   */
  expectRows(rows: number): void {
    const arena = this.held.arena;
    if (this.spill !== undefined || arena.size === 0) return;
    const perRow = arena.rowBytes / arena.size + SLOT_BYTES + TABLE_BYTES_PER_ROW;
    arena.reserve(Math.min(Math.ceil(rows), Math.floor(this.merge.maxMemoryBytes / perRow)));
  }

  /** Registers a shape the encoding side interned; returns its id here (the same id when interned in order). */
  addShape(names: readonly string[]): number {
    return this.shapes.intern(names).id;
  }

  private keep(rawId: string | undefined, idBytes: number, end: number, shape: number, source: number, line: number): void {
    const arena = this.held.arena;
    if (this.spill !== undefined) {
      // Written at the arena's write position and never committed there: the next row overwrites it.
      this.foldOrSpill(arena.buf, arena.rowStart, end, idBytes, shape, source, line, rawId);
      return;
    }
    if (this.held.hold(rawId, idBytes, end, shape, source, line)) this.ctx.counters.merged++;
    if (this.held.estimatedBytes > this.merge.maxMemoryBytes) this.startSpill();
  }

  /** Past the budget: a row of an id held in memory folds into it, any other goes to disk. */
  private foldOrSpill(src: Buffer, start: number, end: number, idBytes: number, shape: number, source: number, line: number, rawId: string | undefined): void {
    const held = this.held;
    if (held.foldIfHeld(src, start, idBytes, end, shape, source, line)) {
      this.ctx.counters.merged++;
      if (held.estimatedBytes > this.merge.maxMemoryBytes) this.writeHeldOut();
      return;
    }
    this.spill!.add(src, start, end, idBytes, shape, source, line, rawId);
  }

  /**
   * Hands every row to `batcher` in first-seen id order (conflicting ids of policy `reject` are rejected
   * instead), yielding every `every` rows, between spilled partitions and as soon as `ready()` is true, so a
   * stream can pass on finished batches. Empties the merge. The same as drainHeld, prepareDrain, drainSpilled,
   * with a spill's partitions merged on this thread.
   */
  *drain(batcher: ByteBatcher, every = 1024, ready?: () => boolean): Generator<void> {
    yield* this.drainHeld(batcher, every, ready);
    yield* this.drainSpilled(batcher, every, ready);
  }

  /**
   * The rows held in memory, as `drain` hands them on: every row when the merge did not spill, else those of the
   * ids held when it did — first in first-seen order, and final once the input is over, so they go on while the
   * spilled partitions still wait to be merged (prepareDrain).
   */
  *drainHeld(batcher: ByteBatcher, every = 1024, ready?: () => boolean): Generator<void> {
    if (this.held.size === 0) return;
    if (this.spill !== undefined) {
      // The id table and the partition files' write buffers are done with (~48 MB at the default budget): external
      // memory V8 frees only at a full collection, and the drain's batch bodies come on top of the held rows.
      this.held.arena.endLookups();
      this.spill.closePartitions();
      collectGarbage();
    }
    yield* this.held.drain(this.drainTarget(batcher), every, ready);
  }

  /** After drainHeld (and prepareDrain): the rows that went to disk, if any, as `drain` hands them on. */
  *drainSpilled(batcher: ByteBatcher, every = 1024, ready?: () => boolean): Generator<void> {
    const spill = this.spill;
    if (spill === undefined) return;
    try {
      yield* spill.drain(this.drainTarget(batcher), every, ready);
      this.ctx.reportSpill({ budgetBytes: this.merge.maxMemoryBytes, idsKept: this.idsKept, spilledBytes: spill.spilledBytes });
    } finally {
      this.dispose();
    }
  }

  private drainTarget(batcher: ByteBatcher): DrainTarget {
    const shapes = this.shapes.shapes;
    const sources = this.sources;
    const ctx = this.ctx;
    return {
      row(src, start, end, idBytes, shape, rawId, origins, source, line, _seq, stable) {
        batcher.add(src, start, end, idBytes, shapes[shape]!, rawId, origins, sources[source]!, line, stable);
      },
      conflict(row) {
        rejectConflicting(row, row.conflict!, ctx);
      },
      settle() {
        batcher.settle();
      },
    };
  }

  /**
   * Once the input is over, after drainHeld and before drainSpilled: a spilled merge merges its partitions, on two
   * threads when the merge was given two (its drain would merge them on this thread alone), in memory the held
   * rows gave back. Nothing to do in memory.
   */
  async prepareDrain(signal: AbortSignal): Promise<void> {
    if (this.spill === undefined) return;
    // The drained arena's buffers go now, not beside the partitions' (see collect-garbage.ts).
    collectGarbage();
    if (this.spillThreads === 2) await this.spill.mergePartitionsOnTwoThreads(signal);
  }

  /** A drained arena buffer of at least `bytes` for a batch body, if one is free (see RowArena.takeSpare). */
  takeSpareBuffer(bytes: number): Buffer | undefined {
    return this.held.arena.takeSpare(bytes);
  }

  /**
   * Gives away the arena buffer `buffer` for a batch body built in place over the rows it still holds (see
   * RowArena.claim); false when it cannot be (not a buffer of held rows).
   */
  claimBuffer(buffer: Buffer): boolean {
    return this.held.size > 0 && this.held.arena.claim(buffer);
  }

  /** Removes the spill's temporary files, if any. Call when the run ends, whichever way it ends. */
  dispose(): void {
    this.spill?.dispose();
  }

  /**
   * Past the budget: the ids of the first rows (whole buffers, leaving FOLD_ROOM_SHARE) stay held, the other held
   * rows and every row of another id go to disk from now on. When the directory cannot be created or written,
   * the run stops with SPILL_FAILED naming it.
   */
  private startSpill(): void {
    const { tempDir, spillPartitions } = this.merge;
    if (tempDir === undefined) throw this.budgetExceeded();
    const held = this.held;
    const spill = new SpilledMerge(tempDir, spillPartitions, this.merge, this.ctx, this.shapes, this.sources, held.size);
    this.spill = spill;
    const kept = held.arena.slotsWithin(this.merge.maxMemoryBytes * (1 - FOLD_ROOM_SHARE));
    spill.spillHeldFrom(held, kept);
    this.idsKept = kept;
    if (kept === 0) {
      // Not one buffer leaves the room (a budget of about one buffer, or rows so small their index and id table
      // take most of it): every row went, and the index and table go too.
      this.letHeldGo();
      return;
    }
    held.endAdding(kept, SPILLING_ARENA_BYTES);
    collectGarbage(); // the buffers let go are freed now (see collect-garbage.ts)
  }

  /** The held rows outgrew the budget: they go to disk too. */
  private writeHeldOut(): void {
    this.spill!.dumpHeld(this.held);
    this.idsKept = 0;
    this.letHeldGo();
  }

  /** Every held row is on disk: the arena becomes the encoder's scratch buffer, the rest is freed now. */
  private letHeldGo(): void {
    this.held.clear();
    this.held.arena.reset(SPILLING_ARENA_BYTES);
    collectGarbage(); // the dropped arena goes now, not after the read (see collect-garbage.ts)
  }

  private budgetExceeded(): BulkpipeError {
    const { maxMemoryBytes } = this.merge;
    return new BulkpipeError(
      ErrorCode.MEMORY_BUDGET_EXCEEDED,
      `Merge by id holds ${this.size.toLocaleString('en-US')} rows, one per id (~${mebibytes(this.estimatedBytes)} estimated), ` +
        `over its memory budget of ${mebibytes(maxMemoryBytes)} (maxMemoryBytes ${maxMemoryBytes}), and spilling to disk is off. ` +
        `Raise the budget with --memory (the held rows live outside the JS heap: Node's heap size does not limit them), or give the merge a temporary directory.`,
      { option: 'maxMemoryBytes' },
    );
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
