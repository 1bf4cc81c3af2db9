/**
 * Batch lines copied in runs, rows re-laid by spans, and a worker's chunk copied into the arena at once
 * (merge/row-arena.ts, batch/byte-batch-builder.ts, parallel/encode-in-worker.ts applyChunk): none of it may
 * change a byte. The same rows must give the same batches whether they come through the single-thread encoder
 * or as chunks (rows with or without an LF after them), whether their copies are deferred into runs or made
 * at once, across arena buffers of any size (rows split over buffers, rows ending exactly at a buffer's end),
 * batches cut mid-run, and freed merge buffers reused as bodies while a run is pending.
 */
import test from 'ava';
import fc from 'fast-check';
import type { InputRecord, RowOrigin } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { chainSteps, runStep } from '../src/step.js';
import { createValidateStep } from '../src/validate/validate-step.js';
import { createMergeStep } from '../src/merge/merge-step.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { createBatchStep } from '../src/batch/batch-step.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { RowArena, idHash } from '../src/merge/row-arena.js';
import { ShapeRegistry } from '../src/merge/row-shape.js';
import type { RowShape } from '../src/merge/row-shape.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';
import { ByteBatchBuilder, HEADER_ROOM, IN_PLACE_SLACK_BYTES } from '../src/batch/byte-batch-builder.js';
import { RecordEncoder } from '../src/validate/record-encoder.js';
import { ChunkBuffer } from '../src/parallel/encoded-chunk.js';
import type { EncodedChunk } from '../src/parallel/encoded-chunk.js';
import { applyChunk } from '../src/parallel/encode-in-worker.js';

const COLUMNS = Object.freeze(['id', 'a', 'b', 'c', 'd']);

function record(line: number, id: string, values: readonly string[]): InputRecord {
  const fields: Record<string, string> = { id };
  COLUMNS.slice(1).forEach((name, i) => (fields[name] = values[i] ?? ''));
  return { source: 'in.csv', line, columns: COLUMNS, fields };
}

/** What the encode worker posts, made here on one thread: rows encoded into chunk buffers, with or without an LF after each. */
function encodeChunks(input: readonly InputRecord[], rowsPerChunk: number, lf: boolean): EncodedChunk[] {
  const ctx = new RunContext({ enforceRejectRate: false });
  const shapes = new ShapeRegistry();
  let sent = 0;
  const chunks: EncodedChunk[] = [];
  let buffer = new ChunkBuffer(64);
  let encoder = new RecordEncoder({ idColumn: 'id' }, ctx, buffer, shapes);
  let meta: number[] = [];
  let lines: number[] = [];
  let rawIds: (number | string)[] = [];
  const post = (): void => {
    const rows = lines.length;
    chunks.push({
      type: 'chunk',
      bytes: buffer.buf.buffer as ArrayBuffer,
      rows,
      meta: Int32Array.from(meta),
      lines: Float64Array.from(lines),
      rawIds,
      sources: ['in.csv'],
      newShapes: shapes.shapes.slice(sent).map((shape) => [...shape.names]),
      events: [],
      read: 0,
      bytesRead: 0,
    });
    sent = shapes.shapes.length;
    buffer = new ChunkBuffer(64);
    encoder = new RecordEncoder({ idColumn: 'id' }, ctx, buffer, shapes);
    meta = [];
    lines = [];
    rawIds = [];
  };
  for (const rec of input) {
    if (!encoder.encode(rec)) continue;
    const row = encoder.row;
    meta.push(buffer.rowStart, row.end, row.idBytes, row.shape.id, 0);
    if (row.idBytes !== row.id.length) rawIds.push(lines.length, row.id);
    lines.push(rec.line);
    let end = row.end;
    // As encode-worker.ts keepRow: an LF after the row when the chunk has room.
    if (lf && end < buffer.buf.length) buffer.buf[end++] = 0x0a;
    buffer.rowStart = end;
    if (lines.length === rowsPerChunk) post();
  }
  if (lines.length > 0) post();
  return chunks;
}

/** A batcher whose rows are never deferred: every copy is made as the row is added. */
class EagerBatcher extends ByteBatcher {
  override add(src: Buffer, start: number, end: number, idBytes: number, shape: RowShape, rawId: string | undefined, origins: readonly RowOrigin[] | undefined, source: string, line: number): void {
    super.add(src, start, end, idBytes, shape, rawId, origins, source, line, false);
  }
}

interface Setup {
  policy: MergePolicy;
  maxBytes: number;
  maxRows: number;
  arenaChunkBytes: number;
  /** Freed merge buffers become bodies (they must be able to hold one). */
  reuse: boolean;
  /** Bodies are built in place in the merge buffer of their first row (its rows start far enough in). */
  inPlace?: boolean;
}

type Feed = 'records' | 'chunks with LF' | 'chunks without LF';

function batchesOf(input: readonly InputRecord[], feed: Feed, eager: boolean, setup: Setup): string[] {
  const ctx = new RunContext({ enforceRejectRate: false });
  const headRoom = setup.inPlace ? HEADER_ROOM + IN_PLACE_SLACK_BYTES : 0;
  const arenaChunkBytes = headRoom + (setup.reuse || setup.inPlace ? HEADER_ROOM + setup.maxBytes : setup.arenaChunkBytes);
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions({ policy: setup.policy }), ctx, arenaChunkBytes, headRoom);
  if (feed === 'records') for (const rec of input) merge.push(rec);
  else for (const chunk of encodeChunks(input, 7, feed === 'chunks with LF')) applyChunk(chunk, merge, ctx, () => undefined);
  const batches: Batch[] = [];
  const Batcher = eager ? EagerBatcher : ByteBatcher;
  const spare = setup.reuse ? (bytes: number) => merge.takeSpareBuffer(bytes) : undefined;
  const claim = setup.inPlace ? (src: Buffer) => merge.claimBuffer(src) : undefined;
  const batcher = new Batcher(resolveBatchOptions({ maxBytes: setup.maxBytes, maxRows: setup.maxRows }), ctx, (batch) => batches.push(batch), undefined, spare, claim);
  for (const _ of merge.drain(batcher, 5));
  batcher.flush();
  return batches.map((b) => `${b.rows} ${b.firstLine}-${b.lastLine} ${b.sha256} ${JSON.stringify(b.ids)} ${b.body.toString('latin1')}`);
}

function referenceBatches(input: readonly InputRecord[], setup: Setup): string[] {
  const ctx = new RunContext({ enforceRejectRate: false });
  const step = chainSteps(chainSteps(createValidateStep({ idColumn: 'id' }, ctx), createMergeStep({ policy: setup.policy }, ctx)), createBatchStep({ maxBytes: setup.maxBytes, maxRows: setup.maxRows }, ctx));
  return runStep(step, input).map((b) => `${b.rows} ${b.firstLine}-${b.lastLine} ${b.sha256} ${JSON.stringify(b.ids)} ${b.body.toString('latin1')}`);
}

const valueArb = fc.constantFrom('', '', 'v', 'wörth', 'x y', '12', 'a'.repeat(37), 'b'.repeat(150), '東京');

test('records or chunks (with or without LFs), deferred or eager copies, tiny or body-sized arena buffers, bodies in place or not: the batches of the public steps', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.array(valueArb, { minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 80 }),
      fc.record({
        policy: fc.constantFrom<MergePolicy>('last', 'first', 'reject'),
        maxBytes: fc.constantFrom(200, 700, 5000, 50_000_000),
        maxRows: fc.constantFrom(1, 3, 500_000),
        arenaChunkBytes: fc.constantFrom(1, 40, 97, 300, 4096),
        reuse: fc.boolean(),
        inPlace: fc.boolean(),
      }),
      (rows, setup) => {
        const input = rows.map(([id, values], i) => record(i + 2, `id-${id}`, values));
        const expected = referenceBatches(input, setup);
        for (const feed of ['records', 'chunks with LF', 'chunks without LF'] as const) {
          for (const eager of [false, true]) t.deepEqual(batchesOf(input, feed, eager, setup), expected, `${feed}, ${eager ? 'eager' : 'deferred'}`);
        }
      },
    ),
    { numRuns: 120 },
  );
});

/** Rows of one shape, as the arena holds them: `id,value` lines, LF-separated, from `at` on. */
function linesIn(buf: Buffer, at: number, rows: readonly string[]): { start: number; end: number }[] {
  const placed: { start: number; end: number }[] = [];
  let o = at;
  for (const row of rows) {
    buf.write(row, o, 'latin1');
    placed.push({ start: o, end: o + row.length });
    o += row.length;
    buf[o++] = 0x0a;
  }
  return placed;
}

function builderBody(add: (builder: ByteBatchBuilder) => void, body?: Buffer): string {
  const builder = new ByteBatchBuilder(resolveBatchOptions(), body);
  add(builder);
  return builder.build(1).body.toString('latin1');
}

const shapes = new ShapeRegistry();
const shapeV = shapes.intern(['v']);

test('a run stops where its buffer does: rows back to back in two buffers give every line once', (t) => {
  const first = Buffer.alloc(64, 0x2e);
  const second = Buffer.alloc(64, 0x2e);
  const inFirst = linesIn(first, 0, ['1,a', '2,bb', '3,ccc']);
  // The second buffer's first row starts right where a run in the first would continue (after the LF at 14).
  const inSecond = linesIn(second, 15, ['4,d', '5,ee']);
  const body = builderBody((builder) => {
    for (const { start, end } of inFirst) builder.tryAdd(first, start, end, 1, shapeV, undefined, undefined, 's', 2, true);
    for (const { start, end } of inSecond) builder.tryAdd(second, start, end, 1, shapeV, undefined, undefined, 's', 3, true);
  });
  t.is(body, 'batch=thirdPartyId,v\n1,a\n2,bb\n3,ccc\n4,d\n5,ee\n');
});

test('a row without an LF after it (no room, or another byte there) ends the run, and the next row starts a new one', (t) => {
  const buf = Buffer.from('1,a\n2,b#3,c\n4,d', 'latin1');
  const body = builderBody((builder) => {
    for (const [start, end] of [[0, 3], [4, 7], [8, 11], [12, 15]] as const) builder.tryAdd(buf, start, end, 1, shapeV, undefined, undefined, 's', 2, true);
  });
  t.is(body, 'batch=thirdPartyId,v\n1,a\n2,b\n3,c\n4,d\n');
});

test('a batch cut mid-run gets every row of its run; the next batch starts its own', (t) => {
  const buf = Buffer.alloc(256);
  const rows = linesIn(buf, 0, ['1,a', '2,b', '3,c', '4,d', '5,e']);
  const batches: Batch[] = [];
  const shape = new ShapeRegistry().intern(['v']);
  const batcher = new ByteBatcher(resolveBatchOptions({ maxRows: 2 }), new RunContext(), (batch) => batches.push(batch));
  rows.forEach(({ start, end }, i) => batcher.add(buf, start, end, 1, shape, undefined, undefined, 's', i + 2, true));
  batcher.flush();
  t.deepEqual(
    batches.map((b) => b.body.toString('latin1')),
    ['batch=thirdPartyId,v\n1,a\n2,b\n', 'batch=thirdPartyId,v\n3,c\n4,d\n', 'batch=thirdPartyId,v\n5,e\n'],
  );
});

test('moving the body into the very buffer the pending run is in keeps the run', (t) => {
  const options = resolveBatchOptions({ maxBytes: 1000 });
  const arena = Buffer.alloc(HEADER_ROOM + 1000);
  // Where the lines will go once the body moves here: the run must be copied out before they are.
  const rows = linesIn(arena, HEADER_ROOM + 5, ['1,a', '2,b', '3,c']);
  const builder = new ByteBatchBuilder(options, Buffer.alloc(HEADER_ROOM + 1000));
  for (const { start, end } of rows) builder.tryAdd(arena, start, end, 1, shapeV, undefined, undefined, 's', 2, true);
  builder.relocate(arena);
  t.is(builder.build(1).body.toString('latin1'), 'batch=thirdPartyId,v\n1,a\n2,b\n3,c\n');
});

test('the batcher copies a pending run out before it takes a freed buffer, which may be the run\'s own', (t) => {
  const options = resolveBatchOptions({ maxBytes: 5000 });
  const freed = Buffer.alloc(HEADER_ROOM + 5000);
  const later = Buffer.alloc(4096);
  const texts = Array.from({ length: 300 }, (_, i) => `${i},x`);
  // The first 255 rows sit in the buffer the drain frees; the rest in a later one.
  const rows = [...linesIn(freed, 0, texts.slice(0, 255)).map((row) => ({ ...row, buf: freed })), ...linesIn(later, 0, texts.slice(255)).map((row) => ({ ...row, buf: later }))];
  let offers = 0;
  const batches: Batch[] = [];
  const shape = new ShapeRegistry().intern(['v']);
  const batcher = new ByteBatcher(options, new RunContext(), (batch) => batches.push(batch), undefined, () => {
    // The first batch starts in fresh memory; at the next look the freed buffer is handed over, and reused at once.
    if (++offers !== 2) return undefined;
    freed.fill(0x21, 0, HEADER_ROOM);
    return freed;
  });
  rows.forEach(({ buf, start, end }, i) => batcher.add(buf, start, end, 1, shape, undefined, undefined, 's', i + 2, true));
  batcher.flush();
  t.is(offers, 2, 'the freed buffer was taken mid-batch');
  t.deepEqual(
    batches.flatMap((b) => b.body.toString('latin1').split('\n').slice(1, -1)),
    texts,
  );
});

test('a row re-laid by spans: values moved to later columns, empty cells between, first columns joined to the id', (t) => {
  const reg = new ShapeRegistry();
  const abcd = reg.intern(['a', 'b', 'c', 'd']);
  const acd = reg.intern(['a', 'c', 'd']);
  const dba = reg.intern(['d', 'b', 'a']);
  const cOnly = reg.intern(['c']);
  const buf = Buffer.alloc(128);
  const put = (row: string, at: number): [number, number] => {
    buf.write(row, at, 'latin1');
    return [at, at + row.length];
  };
  const body = builderBody((builder) => {
    builder.tryAdd(buf, ...put('1,A,C,D', 0), 1, acd, undefined, undefined, 's', 2); // header a,c,d
    builder.tryAdd(buf, ...put('2,A,B,C,D', 10), 1, abcd, undefined, undefined, 's', 3); // b is column 3
    builder.tryAdd(buf, ...put('3,D,B,A', 30), 1, dba, undefined, undefined, 's', 4);
    builder.tryAdd(buf, ...put('4,C', 50), 1, cOnly, undefined, undefined, 's', 5);
  });
  t.is(body, 'batch=thirdPartyId,a,c,d,b\n1,A,C,D\n2,A,C,D,B\n3,A,,D,B\n4,,C\n');
});

test('the arena: an LF after each committed row when there is room, counted either way; chunk rows counted kept or not', (t) => {
  const arena = new RowArena(16);
  const write = (text: string): number => {
    const at = arena.ensure(arena.rowStart, text.length);
    arena.buf.write(text, at, 'latin1');
    return at + text.length;
  };
  t.is(arena.findOrCommit(1, write('1,abc'), 0, 0, 2), -1);
  t.is(arena.buf.toString('latin1', 0, 6), '1,abc\n');
  t.is(arena.rowBytes, 6);
  // Ten bytes left: a 10-byte row fills the buffer exactly, with no room for its LF.
  t.is(arena.findOrCommit(1, write('2,abcdefgh'), 0, 0, 3), -1);
  t.is(arena.rowStart, 16);
  t.is(arena.rowBytes, 17);
  // Placed rows (a worker's chunk): a row whose id is held already leaves a gap that still counts.
  const chunk = Buffer.from('3,x\n1,y\n', 'latin1');
  const at = arena.append(chunk, 0, chunk.length);
  t.is(arena.findOrPlace(at, 1, at + 3, 0, 0, 4), -1);
  t.is(arena.findOrPlace(at + 4, 1, at + 7, 0, 0, 5, idHash(arena.buf, at + 4, 1)), 0);
  t.is(arena.size, 3);
  t.is(arena.rowBytes, 17 + 8);
});

test('a presized index (reserve) finds and holds the same ids as one that grows', (t) => {
  const grown = new RowArena(1 << 16);
  const presized = new RowArena(1 << 16);
  presized.reserve(5000);
  const results: number[][] = [[], []];
  [grown, presized].forEach((arena, which) => {
    for (let i = 0; i < 6000; i++) {
      const text = `${(i * 7919) % 4000},v`;
      const at = arena.ensure(arena.rowStart, text.length);
      arena.buf.write(text, at, 'latin1');
      results[which]!.push(arena.findOrCommit(text.indexOf(','), at + text.length, 0, 0, i));
    }
  });
  t.deepEqual(results[1], results[0]);
  t.is(presized.size, 4000);
});

test('a body built in place over the rows it reads: lines stay behind them, or the body moves when they would not', (t) => {
  const options = resolveBatchOptions({ maxBytes: 4096 });
  const reg = new ShapeRegistry();
  const ba = reg.intern(['b', 'a']);
  const ab = reg.intern(['a', 'b']);
  const bOnly = reg.intern(['b']);
  for (const slack of [0, 3, 40, 4096]) {
    const buf = Buffer.alloc(HEADER_ROOM + slack + 4096, 0x2e);
    // Rows of shape (b, a) after a first (a, b) row: each line is as long as its row. Rows of shape (b) alone gain
    // an empty cell for a: one byte longer each, so a small slack runs out and the body has to move.
    const texts = ['0,A,B', ...Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `${i + 1},B` : `${i + 1},B,A`))];
    const rows = linesIn(buf, HEADER_ROOM + slack, texts);
    const shapesOf = texts.map((text, i) => (i === 0 ? ab : text.split(',').length === 2 ? bOnly : ba));
    const builder = new ByteBatchBuilder(options, buf, true);
    rows.forEach(({ start, end }, i) => t.true(builder.tryAdd(buf, start, end, String(i).length, shapesOf[i]!, undefined, undefined, 's', i + 2, true)));
    const expected = texts.map((text, i) => {
      if (i === 0) return text;
      const [id, ...values] = text.split(',');
      return values.length === 1 ? `${id},,${values[0]}` : `${id},${values[1]},${values[0]}`;
    });
    const batch = builder.build(1);
    t.is(batch.body.toString('latin1'), `batch=thirdPartyId,a,b\n${expected.join('\n')}\n`, `slack ${slack}`);
    t.is(batch.body.buffer === buf.buffer, slack >= 40, `slack ${slack}: built in place, or moved`);
  }
});

test('in place, a row from elsewhere (a merged row) must land behind the rows not read yet; a row from a later buffer ends the constraint', (t) => {
  const options = resolveBatchOptions({ maxBytes: 4096 });
  const v = new ShapeRegistry().intern(['v']);
  const scratch = Buffer.from('9,merged-row-value-longer-than-slack', 'latin1');
  const later = Buffer.from('7,z\n', 'latin1');
  for (const slack of [4, 64]) {
    const buf = Buffer.alloc(HEADER_ROOM + slack + 256, 0x2e);
    const rows = linesIn(buf, HEADER_ROOM + slack, ['1,a', '2,b', '3,c']);
    const builder = new ByteBatchBuilder(options, buf, true);
    builder.tryAdd(buf, rows[0]!.start, rows[0]!.end, 1, v, undefined, undefined, 's', 2, true);
    builder.tryAdd(scratch, 0, scratch.length, 1, v, undefined, undefined, 's', 3);
    builder.tryAdd(buf, rows[1]!.start, rows[1]!.end, 1, v, undefined, undefined, 's', 4, true);
    builder.tryAdd(later, 0, 3, 1, v, undefined, undefined, 's', 5, true);
    builder.tryAdd(scratch, 0, scratch.length, 1, v, undefined, undefined, 's', 6);
    const batch = builder.build(1);
    t.is(batch.body.toString('latin1'), `batch=thirdPartyId,v\n1,a\n${scratch.toString()}\n2,b\n7,z\n${scratch.toString()}\n`, `slack ${slack}`);
    t.is(batch.body.buffer === buf.buffer, slack === 64, `slack ${slack}`);
  }
});
