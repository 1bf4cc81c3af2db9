/**
 * Validate, encode and merge by id in one step over a byte arena, then hand the held rows to the byte
 * batcher in first-seen id order: the fast path of `runBatchPipeline`. Its output — batches, rejects,
 * warnings, counters — is the same as validate → merge → batch over ProfileRows (see the differential test);
 * the public steps stay for callers who embed single stages.
 *
 * Within the memory budget the rows stay in memory (held-rows.ts). Past it the merge spills: the held rows
 * and every later row go to temporary files partitioned by id, merged partition by partition at the end and
 * put back in first-seen order (spilled-merge.ts) — the same batches, byte for byte, in bounded memory.
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

export class ArenaMerge {
  private readonly shapes = new ShapeRegistry();
  private readonly encoder: RecordEncoder;
  private readonly sourceLabels = new SourceLabels();
  /** Input labels, indexed by the source numbers rows carry. */
  private readonly sources = this.sourceLabels.labels;
  private readonly held: HeldRows;
  private spill: SpilledMerge | undefined;
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

  /** Ids held in memory (0 once the merge has spilled). */
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
      this.spill.add(this.chunk!, start, end, idBytes, shape, sourceIndex, line, rawId);
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
      this.spill.add(arena.buf, arena.rowStart, end, idBytes, shape, source, line, rawId);
      return;
    }
    if (this.held.hold(rawId, idBytes, end, shape, source, line)) this.ctx.counters.merged++;
    if (this.held.estimatedBytes > this.merge.maxMemoryBytes) this.startSpill();
  }

  /**
   * Hands every held row to `batcher` in first-seen id order (conflicting ids of policy `reject` are rejected
   * instead), yielding every `every` rows, between spilled partitions and as soon as `ready()` is true, so a
   * stream can pass on finished batches. Empties the merge.
   */
  *drain(batcher: ByteBatcher, every = 1024, ready?: () => boolean): Generator<void> {
    const shapes = this.shapes.shapes;
    const sources = this.sources;
    const ctx = this.ctx;
    const target: DrainTarget = {
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
    if (this.spill === undefined) {
      yield* this.held.drain(target, every, ready);
      return;
    }
    try {
      yield* this.spill.drain(target, every, ready);
    } finally {
      this.dispose();
    }
  }

  /**
   * Once the input is over and before `drain`: a spilled merge merges its partitions, on two threads when the
   * merge was given two (the drain would merge them on this thread alone). Nothing to do in memory.
   */
  async prepareDrain(signal: AbortSignal): Promise<void> {
    if (this.spill !== undefined && this.spillThreads === 2) await this.spill.mergePartitionsOnTwoThreads(signal);
  }

  /** A drained arena buffer of at least `bytes` for a batch body, if one is free (see RowArena.takeSpare). */
  takeSpareBuffer(bytes: number): Buffer | undefined {
    return this.held.arena.takeSpare(bytes);
  }

  /**
   * Gives away the arena buffer `buffer` for a batch body built in place over the rows it still holds (see
   * RowArena.claim); false when it cannot be (not an arena buffer, or the merge spilled).
   */
  claimBuffer(buffer: Buffer): boolean {
    return this.spill === undefined && this.held.arena.claim(buffer);
  }

  /** Removes the spill's temporary files, if any. Call when the run ends, whichever way it ends. */
  dispose(): void {
    this.spill?.dispose();
  }

  /**
   * Past the budget: the held rows go to disk and the arena becomes the encoder's scratch buffer. When the
   * directory cannot be created or written, the run stops with SPILL_FAILED naming it.
   */
  private startSpill(): void {
    const { tempDir, spillPartitions } = this.merge;
    if (tempDir === undefined) throw this.budgetExceeded();
    const spill = new SpilledMerge(tempDir, spillPartitions, this.merge, this.ctx, this.shapes, this.sources);
    this.spill = spill;
    spill.dump(this.held);
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
