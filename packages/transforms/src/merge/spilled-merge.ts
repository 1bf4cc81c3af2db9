/**
 * The merge once its rows no longer fit the budget: every row goes to one of `partitions` temporary files by
 * a stable hash of its encoded id, so all rows of an id meet in one file. At the end each partition is merged
 * in memory on its own (split again with another hash when it alone is over the budget) and written back as
 * a run sorted by first-seen sequence number; a k-way merge of the runs hands the rows to the batcher in the
 * very order the in-memory merge would have, so the batches are byte-identical to an in-memory run.
 *
 * Sequence numbers: the rows held when the spill starts are dumped in slot (first-seen) order with their slot
 * as seq; every later row gets the next number. A partition file is therefore in seq order, each id's first
 * record is its first-seen row, and a partition's slots come out sorted by seq without a sort.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { RowOrigin } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { ResolvedMergeOptions } from './merge-options.js';
import { HeldRows } from './held-rows.js';
import type { DrainTarget } from './held-rows.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import type { ShapeRegistry } from './row-shape.js';
import { createSpillDir, removeSpillDir } from './spill-dir.js';
import { RecordKind, SpillReader, SpillWriter } from './spill-file.js';

/** A partition still over the budget after this many re-splits holds one huge id (or a tiny budget): stop. */
const MAX_SPLIT_DEPTH = 3;
/** Arena buffers of a partition's merge: partitions are a fraction of the budget, so smaller than in memory. */
const PARTITION_ARENA_BYTES = 8 * 1024 * 1024;

/** The JSON of a record's extra: raw id, origins as [source, line], a folded row's state, a conflict. */
interface Extra {
  /** Raw id, when it differs from the encoded bytes (always for CONFLICT). */
  r?: string;
  /** Every origin, [source index, line], for rows folded from several lines. */
  o?: [number, number][];
  /** CONFLICT (a MergedRow): attribute names and encoded values, in the attributes object's key order. */
  n?: string[];
  v?: string[];
  /** CONFLICT: which origin set each value, [name index, origin index]. */
  s?: [number, number][];
  /** FOLDED, policy `reject`: which origin (index) set each value of the row's bytes. */
  p?: number[];
  /** FOLDED (policy `reject`) and CONFLICT: the conflicting attribute, and the held and incoming origins' indices. */
  c?: [string, number, number];
}

export class SpilledMerge {
  readonly dir: string;
  private readonly writers: SpillWriter[] = [];
  private readonly runs: string[] = [];
  private readonly readers: SpillReader[] = [];
  private nextSeq = 0;
  private files = 0;
  private disposed = false;
  /** Bytes written to temporary files, for the summary and the docs' disk estimate. */
  spilledBytes = 0;

  constructor(
    tempDir: string,
    private readonly partitions: number,
    private readonly merge: ResolvedMergeOptions,
    private readonly ctx: RunContext,
    private readonly shapes: ShapeRegistry,
    private readonly sources: string[],
  ) {
    this.dir = createSpillDir(tempDir);
    try {
      for (let p = 0; p < partitions; p++) this.writers.push(new SpillWriter(this.newFile('part'), this.dir));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Writes every row `held` holds to its partition, in first-seen order, with its slot as seq. */
  dump(held: HeldRows): void {
    const arena = held.arena;
    for (let slot = 0; slot < held.size; slot++) {
      const buf = arena.bufferOf(slot);
      const start = arena.startOfSlot(slot);
      const idBytes = arena.idBytesOfSlot(slot);
      const writer = this.writers[partitionOf(buf, start, idBytes, 0, this.partitions)]!;
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
    this.nextSeq = held.size;
  }

  /** One more row (encoded at `buf[start, end)`), after the spill started. */
  add(buf: Buffer, start: number, end: number, idBytes: number, shape: number, source: number, line: number, rawId: string | undefined): void {
    const writer = this.writers[partitionOf(buf, start, idBytes, 0, this.partitions)]!;
    writer.write(RecordKind.ROW, this.nextSeq++, shape, source, line, buf, start, end, idBytes, rawId === undefined ? undefined : JSON.stringify({ r: rawId }));
  }

  /**
   * Merges partition by partition into sorted runs, then hands every row to `target` in first-seen order,
   * yielding after each partition, every `every` rows and whenever `ready()` says output is waiting.
   */
  *drain(target: DrainTarget, every = 1024, ready: () => boolean = () => false): Generator<void> {
    const partitions = this.writers.map((writer) => writer.path);
    for (const writer of this.writers.splice(0)) {
      this.spilledBytes += writer.bytes;
      writer.close();
    }
    for (const path of partitions) {
      this.mergePartition(path, 0);
      yield;
      if (this.disposed) return;
    }
    yield* this.mergeRuns(target, every, ready);
  }

  /** Closes every file and removes the directory. Safe to call more than once, and mid-drain (abort). */
  dispose(): void {
    this.disposed = true;
    for (const writer of this.writers.splice(0)) writer.abandon();
    for (const reader of this.readers.splice(0)) reader.close();
    removeSpillDir(this.dir);
  }

  /** Merges one partition file into a run file (or splits it again when it alone is over the budget). */
  private mergePartition(path: string, depth: number): void {
    const rows = new HeldRows(this.merge, this.ctx, this.shapes, this.sources, { trackSeq: true, arenaChunkBytes: PARTITION_ARENA_BYTES });
    const reader = this.open(path);
    let folds = 0;
    let over = false;
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
      if (rows.estimatedBytes > this.merge.maxMemoryBytes) {
        over = true;
        break;
      }
    }
    this.close(reader);
    if (over) {
      const held = rows.size;
      rows.clear();
      if (depth >= MAX_SPLIT_DEPTH) throw this.partitionTooLarge(held);
      for (const part of this.split(path, depth + 1)) this.mergePartition(part, depth + 1);
      return;
    }
    this.ctx.counters.merged += folds;
    const run = this.newFile('run');
    const writer = new SpillWriter(run, this.dir);
    this.writers.push(writer);
    for (const _ of rows.drain(runTarget(writer, this.sources)));
    this.spilledBytes += writer.bytes;
    this.writers.splice(this.writers.indexOf(writer), 1);
    writer.close();
    this.runs.push(run);
    unlinkSync(path);
  }

  /** Splits a partition file into `partitions` files by another hash; records keep their order and seq. */
  private split(path: string, depth: number): string[] {
    const parts: SpillWriter[] = [];
    for (let p = 0; p < this.partitions; p++) {
      const writer = new SpillWriter(this.newFile('part'), this.dir);
      parts.push(writer);
      this.writers.push(writer);
    }
    const reader = this.open(path);
    while (reader.next()) {
      const writer = parts[partitionOf(reader.buf, reader.start, reader.idBytes, depth, this.partitions)]!;
      writer.write(reader.kind, reader.seq, reader.shape, reader.source, reader.line, reader.buf, reader.start, reader.end, reader.idBytes, reader.extra);
    }
    this.close(reader);
    unlinkSync(path);
    for (const writer of parts) {
      this.spilledBytes += writer.bytes;
      this.writers.splice(this.writers.indexOf(writer), 1);
      writer.close();
    }
    return parts.map((writer) => writer.path);
  }

  /** The k-way merge of the sorted runs by seq: the in-memory merge's drain order. */
  private *mergeRuns(target: DrainTarget, every: number, ready: () => boolean): Generator<void> {
    const heap: SpillReader[] = [];
    for (const run of this.runs) {
      const reader = this.open(run);
      if (reader.next()) heapPush(heap, reader);
      else this.close(reader);
    }
    let count = 0;
    while (heap.length > 0) {
      const reader = heap[0]!;
      this.emit(reader, target);
      if (reader.next()) heapFix(heap);
      else {
        this.close(heapPop(heap));
        unlinkSync(reader.path);
      }
      if (++count % every === 0 || ready()) {
        yield;
        if (this.disposed) return;
      }
    }
    this.runs.length = 0;
  }

  private emit(reader: SpillReader, target: DrainTarget): void {
    const extra = reader.extra === undefined ? undefined : (JSON.parse(reader.extra) as Extra);
    if (reader.kind === RecordKind.CONFLICT) {
      target.conflict(restoreFolded(extra!, this.sources), reader.seq);
      return;
    }
    const origins = extra?.o?.map(([source, line]): RowOrigin => ({ source: this.sources[source]!, line }));
    target.row(reader.buf, reader.start, reader.end, reader.idBytes, reader.shape, extra?.r, origins, reader.source, reader.line, reader.seq);
  }

  private open(path: string): SpillReader {
    const reader = new SpillReader(path, this.dir);
    this.readers.push(reader);
    return reader;
  }

  private close(reader: SpillReader): void {
    reader.close();
    const index = this.readers.indexOf(reader);
    if (index >= 0) this.readers.splice(index, 1);
  }

  private newFile(kind: string): string {
    return join(this.dir, `${kind}-${String(++this.files).padStart(5, '0')}.bin`);
  }

  private partitionTooLarge(held: number): BulkpipeError {
    const { maxMemoryBytes } = this.merge;
    return new BulkpipeError(
      ErrorCode.MEMORY_BUDGET_EXCEEDED,
      `Merge by id spilled to disk, but one partition of ids still holds more than the memory budget of ` +
        `${(maxMemoryBytes / 1024 / 1024).toFixed(1)} MiB (maxMemoryBytes ${maxMemoryBytes}) after ${MAX_SPLIT_DEPTH} re-splits ` +
        `(${held.toLocaleString('en-US')} ids held): a few ids with very many rows, or a budget too small for the rows. Raise --memory.`,
      { option: 'maxMemoryBytes' },
    );
  }
}

/** Where the drained rows of a partition go: its sorted run file. */
function runTarget(writer: SpillWriter, sources: string[]): DrainTarget {
  return {
    row(src, start, end, idBytes, shape, rawId, origins, source, line, seq) {
      const extra: Extra | undefined =
        rawId === undefined && origins === undefined ? undefined : { r: rawId, o: origins?.map((origin) => [sources.indexOf(origin.source), origin.line]) };
      writer.write(RecordKind.ROW, seq, shape, source, line, src, start, end, idBytes, extra === undefined ? undefined : JSON.stringify(extra));
    },
    conflict(row, seq) {
      const empty = Buffer.alloc(0);
      writer.write(RecordKind.CONFLICT, seq, -1, -1, 0, empty, 0, 0, 0, JSON.stringify(foldedExtra(row, sources)));
    },
  };
}

/** A folded row's whole state, origins by index (a conflict and setBy point at origins by identity). */
function foldedExtra(row: MergedRow, sources: string[]): Extra {
  const names = Object.keys(row.attributes);
  const extra: Extra = {
    r: row.id,
    o: row.origins.map((origin) => [sources.indexOf(origin.source), origin.line]),
    n: names,
    v: names.map((name) => row.attributes[name]!),
  };
  if (row.setBy !== undefined) extra.s = [...row.setBy].map(([name, origin]) => [names.indexOf(name), row.origins.indexOf(origin)]);
  if (row.conflict !== undefined) extra.c = [row.conflict.attribute, row.origins.indexOf(row.conflict.held), row.origins.indexOf(row.conflict.incoming)];
  return extra;
}

function restoreFolded(extra: Extra, sources: readonly string[]): MergedRow {
  const origins = extra.o!.map(([source, line]): RowOrigin => ({ source: sources[source]!, line }));
  const attributes: Record<string, string> = {};
  const names = extra.n ?? [];
  names.forEach((name, i) => setOwn(attributes, name, extra.v![i]!));
  const row = new MergedRow(extra.r!, attributes, origins, extra.s !== undefined);
  if (extra.s !== undefined) {
    row.setBy!.clear();
    for (const [name, origin] of extra.s) row.setBy!.set(names[name]!, origins[origin]!);
  }
  if (extra.c !== undefined) row.conflict = { attribute: extra.c[0], held: origins[extra.c[1]]!, incoming: origins[extra.c[2]]! };
  return row;
}

/**
 * A stable partition of encoded id bytes: FNV-1a, mixed (murmur3's finalizer) with the split depth so a
 * re-split spreads a partition's ids again. Not the arena's bucket bits: a partition's ids share those.
 */
export function partitionOf(buf: Uint8Array, start: number, idBytes: number, depth: number, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + idBytes; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  hash ^= Math.imul(depth + 1, 0x9e3779b9);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % partitions;
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
