/**
 * Where the in-memory merge holds one row per id: the row's batch line bytes (encoded id, then `,value` for
 * each non-empty value, all percent-encoded ASCII) appended to a few large Buffers, a typed-array index per
 * row, and an open-addressing hash table over the encoded id bytes.
 *
 * Why not a Map of objects or strings: a million held rows as JS objects made ~40 % of the run garbage
 * collection (the old generation was walked again and again) and ~740 bytes of heap per id. Here the held
 * rows are a few dozen objects whatever the row count, ~200 bytes per id, and the bytes are already what the
 * batcher writes. Rows are laid out in first-seen order, so draining in slot order can free the buffers
 * behind it, and a spilling merge (issue 5) can write the same bytes to disk.
 *
 * Writing a row: `beginRow()`, then write at `buf` from `rowStart` on (call `ensure` before writing), then
 * `commit()` for a new id, or just begin the next row to drop it (rejected, or folded into a held id).
 *
 * A committed row is followed by an LF when its buffer has room: rows handed on in order then sit back to back
 * as batch lines, and the batcher copies a run of them with one call (ByteBatchBuilder).
 */
import { retyped, widened } from '../typed-arrays.js';

/**
 * 64 MiB: few buffers, and a drained one is large enough to become a batch body (below 50 MB plus the
 * header room), so the drain builds batches in memory the arena already holds instead of adding to it.
 * runBatchPipeline sizes them to exactly one body, so each buffer frees up about when a batch is cut.
 */
export const DEFAULT_ARENA_CHUNK_BYTES = 64 * 1024 * 1024;
const INITIAL_SLOTS = 1024;
const LF = 0x0a;
/**
 * Index bytes per slot: start, length, shape (Int32), line (Uint32), chunk, id bytes, source (Uint16). Chunk,
 * source and line move to wider arrays in the rare run whose values outgrow them (65,536 buffers or inputs, a
 * line past 2^32): 8 bytes a row less than Int32/Float64 throughout, 8 MB at the 1M-row peak.
 */
export const SLOT_BYTES = 3 * 4 + 4 + 3 * 2;
const MAX_UINT16 = 0xffff;
const MAX_UINT32 = 0xffffffff;

/**
 * Arena buffers handed back by one merge (RowArena.clear) and taken by the next: a spilled merge merges its
 * partitions one after another, each in a fresh arena, and every page of every fresh buffer faulted on its
 * first write (~1 GB of them over a 5M-row input) and pushed V8 into a full GC for external memory pressure.
 */
export class ArenaBufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** The size of the buffers it keeps (an arena's chunkBytes). */
    private readonly bytes: number,
    private readonly maxBuffers: number,
  ) {}

  /** A kept buffer of at least `bytes`, or undefined. */
  take(bytes: number): Buffer | undefined {
    return bytes <= this.bytes ? this.free.pop() : undefined;
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.bytes && this.free.length < this.maxBuffers) this.free.push(buffer);
  }
}

export class RowArena {
  /** The buffer the current row is written into. */
  buf: Buffer;
  /** Where the current row starts in `buf`. */
  rowStart = 0;
  private readonly chunks: (Buffer | undefined)[];
  /** Drained buffers, free for reuse (batch bodies). */
  private readonly spare: Buffer[] = [];
  private chunkIndex = 0;
  /** Bytes of committed rows. */
  private usedBytes = 0;

  private capacity = INITIAL_SLOTS;
  private chunkOf: Uint16Array | Int32Array = new Uint16Array(INITIAL_SLOTS);
  private startOf: Int32Array = new Int32Array(INITIAL_SLOTS);
  private lengthOf: Int32Array = new Int32Array(INITIAL_SLOTS);
  /** An encoded id is at most 256 characters × 9 bytes (checkId): 16 bits hold it. */
  private idBytesOf: Uint16Array = new Uint16Array(INITIAL_SLOTS);
  private shapeOf: Int32Array = new Int32Array(INITIAL_SLOTS);
  private sourceOf: Uint16Array | Int32Array = new Uint16Array(INITIAL_SLOTS);
  private lineOf: Uint32Array | Float64Array = new Uint32Array(INITIAL_SLOTS);
  /**
   * Open addressing, at most half full: pairs of (slot + 1, hash), 0 for an empty entry. The hash sits next
   * to the slot so a probe touches one cache line, not the per-slot arrays (a random access each), and a
   * rehash needs nothing else.
   */
  private table: Int32Array = new Int32Array(INITIAL_SLOTS * 4);
  size = 0;

  /** Buffers given away as batch bodies while their rows were still being read (claim): never spares. */
  private readonly claimed = new Set<Buffer>();

  /**
   * @param chunkBytes size of each arena buffer (tests make it tiny to move rows across buffers)
   * @param headRoom bytes left free in front of the first buffer's rows, so that buffer too can become a batch
   * body in place (see claim)
   * @param pool where its buffers come from and go back to when it is cleared (never a claimed one)
   */
  constructor(
    private readonly chunkBytes = DEFAULT_ARENA_CHUNK_BYTES,
    private readonly headRoom = 0,
    private readonly pool?: ArenaBufferPool,
  ) {
    this.buf = this.newBuffer(chunkBytes);
    this.chunks = [this.buf];
    if (headRoom < chunkBytes) this.rowStart = headRoom;
  }

  private newBuffer(bytes: number): Buffer {
    return this.pool?.take(bytes) ?? Buffer.allocUnsafeSlow(bytes);
  }

  /** Marks a slot whose row now lives elsewhere (folded into a MergedRow). */
  markFolded(slot: number): void {
    this.shapeOf[slot] = -1;
  }

  /** Bytes of the rows held (with their LFs and the gaps dropped rows left). */
  get rowBytes(): number {
    return this.usedBytes;
  }

  /** Estimated memory held: row bytes, the index at its capacity, the hash table. */
  get estimatedBytes(): number {
    const slotBytes = SLOT_BYTES + (this.chunkOf.BYTES_PER_ELEMENT - 2) + (this.sourceOf.BYTES_PER_ELEMENT - 2) + (this.lineOf.BYTES_PER_ELEMENT - 4);
    return this.usedBytes + this.capacity * slotBytes + this.table.length * 4;
  }

  beginRow(): void {
    // `rowStart` already points past the last committed row (commit moves it).
  }

  /**
   * Makes room for `bytes` more bytes at write position `at` of the current row; returns the write position,
   * which moves (with the row written so far) when the row continues in a new buffer. Re-read `buf` after.
   */
  ensure(at: number, bytes: number): number {
    if (at + bytes <= this.buf.length) return at;
    const written = at - this.rowStart;
    const next = this.newBuffer(Math.max(this.chunkBytes, written + bytes));
    this.buf.copy(next, 0, this.rowStart, at);
    this.chunks.push(next);
    this.chunkIndex = this.chunks.length - 1;
    if (this.chunkIndex > MAX_UINT16 && this.chunkOf instanceof Uint16Array) this.chunkOf = retyped(this.chunkOf, Int32Array);
    this.buf = next;
    this.rowStart = 0;
    return written;
  }

  /**
   * Looks up the id whose encoded bytes open the current row (`idBytes` of them). Returns its slot when the
   * id is held already (the current row is not kept), or commits the row (`end` = its write end) and
   * returns -1.
   */
  findOrCommit(idBytes: number, end: number, shape: number, source: number, line: number): number {
    const start = this.rowStart;
    const held = this.findOrAdd(start, idBytes, end, shape, source, line);
    if (held < 0) {
      // The LF counts whether or not it fit: the same bytes per row as rows placed by `append`.
      this.usedBytes += end - start + 1;
      if (end < this.buf.length) this.buf[end++] = LF;
      this.rowStart = end;
    }
    return held;
  }

  /**
   * Copies `src[from, to)`, rows written elsewhere (a worker's chunk), into the current buffer with one copy, and
   * returns where `from` landed; each row there is then kept or dropped with `findOrPlace`. `slack` more bytes
   * are kept free after them.
   */
  append(src: Buffer, from: number, to: number, slack = 0): number {
    const at = this.ensure(this.rowStart, to - from + slack);
    src.copy(this.buf, at, from, to);
    this.rowStart = at + (to - from);
    return at;
  }

  /**
   * `findOrCommit` for a row already in the current buffer at `start` (see `append`): it is not moved or followed
   * by an LF (its writer did that), and its bytes and LF count as used whether it is kept or not (a dropped row
   * leaves a gap). `hash` when the writer computed it (idHash of the encoded id).
   */
  findOrPlace(start: number, idBytes: number, end: number, shape: number, source: number, line: number, hash?: number): number {
    this.usedBytes += end - start + 1;
    return this.findOrAdd(start, idBytes, end, shape, source, line, hash);
  }

  private findOrAdd(start: number, idBytes: number, end: number, shape: number, source: number, line: number, hash = idHash(this.buf, start, idBytes)): number {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    for (let probe = hash & mask; ; probe = (probe + 1) & mask) {
      const entry = table[2 * probe]!;
      if (entry === 0) {
        this.commit(probe, hash, start, idBytes, end, shape, source, line);
        return -1;
      }
      const slot = entry - 1;
      if (table[2 * probe + 1] === hash && this.idBytesOf[slot] === idBytes && this.sameId(slot, this.buf, start, idBytes)) return slot;
    }
  }

  /**
   * The slot of the id whose encoded bytes are `src[start, start + idBytes)`, or -1 when it is not held. Adds
   * nothing: a merge past its budget folds rows into the ids it holds and sends the rest to disk (ArenaMerge).
   * Its own probe loop, not findOrAdd's: the one check it needs more (slots let go) cost the in-memory merge's
   * lookup, a million a run, ~1.5 % of the 1M-row split when shared (measured).
   */
  find(src: Uint8Array, start: number, idBytes: number): number {
    if (this.size === 0) return -1; // a cleared arena has no table
    const hash = idHash(src, start, idBytes);
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    for (let probe = hash & mask; ; probe = (probe + 1) & mask) {
      const entry = table[2 * probe]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      // A slot past `size` was let go (endAdding): its id lives on disk now.
      if (slot < this.size && table[2 * probe + 1] === hash && this.idBytesOf[slot] === idBytes && this.sameId(slot, src, start, idBytes)) return slot;
    }
  }

  /**
   * Makes room for `rows` held rows at once (an estimate of the ids to come): the index and the id table stop
   * growing and rehashing on the way there. Never shrinks.
   */
  reserve(rows: number): void {
    if (rows > this.capacity) this.grow(rows);
    let entries = Math.max(this.table.length, 16);
    while (rows * 4 > entries) entries *= 2;
    if (entries > this.table.length) this.rehash(entries);
  }

  /**
   * The most slots — the rows of whole buffers, from the first one on — that keep the estimate at most `bytes`
   * once the rest are let go (endAdding, which keeps the index and the id table): rows fill the buffers in slot
   * order. `size` when every row does.
   */
  slotsWithin(bytes: number): number {
    const fixed = this.estimatedBytes - this.usedBytes;
    let rows = 0;
    let chunk = this.size > 0 ? this.chunkOf[0]! : 0;
    let kept = 0;
    for (let slot = 0; slot < this.size; slot++) {
      if (this.chunkOf[slot] !== chunk) {
        if (fixed + rows > bytes) return kept;
        chunk = this.chunkOf[slot]!;
        kept = slot;
      }
      rows += this.lengthOf[slot]! + 1;
    }
    return fixed + rows > bytes ? kept : this.size;
  }

  /**
   * Ends adding ids: a merge past its budget keeps the ids of its first `slots` rows — the first row of a buffer
   * (slotsWithin) — and only looks ids up from then on (ArenaMerge). The buffers from there on go, and rows are
   * written into a fresh one of `scratchBytes`, never committed. The id table keeps its size (lookups pass over
   * the slots let go): a table of 8–32 MiB made and freed here raised glibc's mmap threshold (it follows the
   * largest block freed), later buffers came from malloc's heap and were never given back — a 10M-row split
   * peaked ~15–25 MB higher.
   */
  endAdding(slots: number, scratchBytes: number): void {
    if (slots >= this.size) return;
    for (let slot = slots; slot < this.size; slot++) this.usedBytes -= this.lengthOf[slot]! + 1;
    this.chunks.length = this.chunkOf[slots]!;
    this.size = slots;
    this.buf = this.newBuffer(scratchBytes);
    this.chunks.push(this.buf);
    this.chunkIndex = this.chunks.length - 1;
    this.rowStart = 0;
  }

  /** Whether the id held in `slot` is `buf[start, start + idBytes)` (its length is known to match). */
  private sameId(slot: number, buf: Uint8Array, start: number, idBytes: number): boolean {
    const held = this.chunks[this.chunkOf[slot]!]!;
    const heldStart = this.startOf[slot]!;
    for (let i = 0; i < idBytes; i++) if (held[heldStart + i] !== buf[start + i]) return false;
    return true;
  }

  private commit(probe: number, hash: number, start: number, idBytes: number, end: number, shape: number, source: number, line: number): void {
    if (this.size === this.capacity) this.grow(this.capacity * 2);
    if (idBytes > 0xffff) throw new Error(`bulkpipe bug: an encoded id of ${idBytes} bytes reached the merge`);
    const slot = this.size++;
    this.table[2 * probe] = slot + 1;
    this.table[2 * probe + 1] = hash;
    this.chunkOf[slot] = this.chunkIndex;
    this.startOf[slot] = start;
    this.lengthOf[slot] = end - start;
    this.idBytesOf[slot] = idBytes;
    this.shapeOf[slot] = shape;
    if (source > MAX_UINT16 && this.sourceOf instanceof Uint16Array) this.sourceOf = retyped(this.sourceOf, Int32Array);
    this.sourceOf[slot] = source;
    if (line > MAX_UINT32 && this.lineOf instanceof Uint32Array) this.lineOf = retyped(this.lineOf, Float64Array);
    this.lineOf[slot] = line;
    if (this.size * 4 > this.table.length) this.rehash(this.table.length * 2);
  }

  private grow(capacity: number): void {
    this.chunkOf = widened(this.chunkOf, capacity);
    this.startOf = widened(this.startOf, capacity);
    this.lengthOf = widened(this.lengthOf, capacity);
    this.idBytesOf = widened(this.idBytesOf, capacity);
    this.shapeOf = widened(this.shapeOf, capacity);
    this.sourceOf = widened(this.sourceOf, capacity);
    this.lineOf = widened(this.lineOf, capacity);
    this.capacity = capacity;
  }

  private rehash(length: number): void {
    const old = this.table;
    const table = new Int32Array(length);
    const mask = (table.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const entry = old[i]!;
      if (entry === 0) continue;
      const hash = old[i + 1]!;
      let probe = hash & mask;
      while (table[2 * probe] !== 0) probe = (probe + 1) & mask;
      table[2 * probe] = entry;
      table[2 * probe + 1] = hash;
    }
    this.table = table;
  }

  // Reading held rows back (drain, folds).
  bufferOf(slot: number): Buffer {
    return this.chunks[this.chunkOf[slot]!]!;
  }
  startOfSlot(slot: number): number {
    return this.startOf[slot]!;
  }
  lengthOfSlot(slot: number): number {
    return this.lengthOf[slot]!;
  }
  idBytesOfSlot(slot: number): number {
    return this.idBytesOf[slot]!;
  }
  shapeOfSlot(slot: number): number {
    return this.shapeOf[slot]!;
  }
  sourceOfSlot(slot: number): number {
    return this.sourceOf[slot]!;
  }
  lineOfSlot(slot: number): number {
    return this.lineOf[slot]!;
  }

  /** The id lookup is over once the drain starts: its table goes first (16 MB at a million ids). */
  endLookups(): void {
    this.table = new Int32Array(0);
  }

  /** Gives up the buffers wholly before `slot`'s (draining in slot order: their rows were handed on). */
  releaseBefore(slot: number): void {
    const chunk = this.chunkOf[slot]!;
    for (let i = 0; i < chunk; i++) {
      const released = this.chunks[i];
      if (released === undefined) continue;
      this.chunks[i] = undefined;
      if (!this.claimed.has(released)) this.spare.push(released);
    }
  }

  /**
   * Gives away `buffer`, one of this arena's, while the drain is still reading it: a batch body is built in place
   * over its rows (ByteBatchBuilder writes lines only behind the row it reads). It is then never a spare. False
   * when it is not a buffer the arena holds (released already, or not the arena's).
   */
  claim(buffer: Buffer): boolean {
    if (this.claimed.has(buffer) || !this.chunks.includes(buffer)) return false;
    this.claimed.add(buffer);
    return true;
  }

  /** A released buffer of at least `bytes`, now the caller's; undefined when there is none. */
  takeSpare(bytes: number): Buffer | undefined {
    const index = this.spare.findIndex((buffer) => buffer.length >= bytes);
    return index < 0 ? undefined : this.spare.splice(index, 1)[0];
  }

  /**
   * Starts over empty with one fresh buffer of `chunkBytes`: after a spill the encoder keeps writing rows here,
   * each copied out and overwritten by the next (nothing is committed).
   */
  reset(chunkBytes = this.chunkBytes): void {
    this.clear();
    this.buf = Buffer.allocUnsafeSlow(chunkBytes);
    this.chunks.push(this.buf);
    this.chunkIndex = 0;
    this.rowStart = 0;
    this.capacity = INITIAL_SLOTS;
    this.allocateIndex(INITIAL_SLOTS);
    this.table = new Int32Array(INITIAL_SLOTS * 4);
  }

  /** Lets go of everything (end of drain); its buffers go back to the pool, if it has one. */
  clear(): void {
    const pool = this.pool;
    if (pool !== undefined) {
      for (const buffer of [...this.chunks, ...this.spare]) if (buffer !== undefined && !this.claimed.has(buffer)) pool.give(buffer);
    }
    this.chunks.length = 0;
    this.claimed.clear();
    this.spare.length = 0;
    this.buf = Buffer.alloc(0);
    this.size = 0;
    this.capacity = 0;
    this.usedBytes = 0;
    this.table = new Int32Array(0);
    this.allocateIndex(0);
  }

  /** A fresh index of `slots` slots, every array at its narrow type. */
  private allocateIndex(slots: number): void {
    for (const key of ['startOf', 'lengthOf', 'shapeOf'] as const) this[key] = new Int32Array(slots);
    this.chunkOf = new Uint16Array(slots);
    this.idBytesOf = new Uint16Array(slots);
    this.sourceOf = new Uint16Array(slots);
    this.lineOf = new Uint32Array(slots);
  }
}

/** FNV-1a over the encoded id bytes `buf[start, start + idBytes)`: the arena's hash (a writer may compute it). */
export function idHash(buf: Uint8Array, start: number, idBytes: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + idBytes; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash;
}
