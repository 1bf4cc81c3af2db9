/**
 * The arena's per-row index keeps the buffer, source and line of each row in narrow arrays (16 and 32 bits) and
 * moves them to wider ones when a value outgrows them: a line past 2^32, a 65,537th input or arena buffer.
 * Every row must still read back what was committed, before and after the move, and the memory estimate the
 * budget is judged by must grow with it.
 */
import test from 'ava';
import { RowArena } from '../src/merge/row-arena.js';

/** Commits row `id-N` with the given source and line; returns its slot. */
function commit(arena: RowArena, i: number, source: number, line: number): number {
  const text = `id-${i}`;
  const at = arena.ensure(arena.rowStart, text.length);
  arena.buf.write(text, at, 'latin1');
  if (arena.findOrCommit(text.length, at + text.length, 0, source, line) >= 0) throw new Error(`id-${i} was held already`);
  return arena.size - 1;
}

function rowText(arena: RowArena, slot: number): string {
  const start = arena.startOfSlot(slot);
  return arena.bufferOf(slot).toString('latin1', start, start + arena.lengthOfSlot(slot));
}

test('lines past 2^32 and sources past 65,535 read back as committed, with the rows before them', (t) => {
  const arena = new RowArena(1024);
  const rows: [number, number][] = [
    [0, 2],
    [65_535, 4_294_967_295],
    [3, 7],
    [70_000, 4_294_967_296], // both outgrow their arrays here
    [1, 9_007_199_254_740_991],
    [2, 12],
  ];
  const before = arena.estimatedBytes;
  for (const [i, [source, line]] of rows.entries()) commit(arena, i, source, line);
  for (const [slot, [source, line]] of rows.entries()) {
    t.is(arena.sourceOfSlot(slot), source);
    t.is(arena.lineOfSlot(slot), line);
    t.is(rowText(arena, slot), `id-${slot}`);
  }
  // The same capacity now costs 2 (source) + 4 (line) bytes a slot more.
  t.true(arena.estimatedBytes - arena.rowBytes > before + 6 * 1024 - 1);
});

test('rows in a 65,537th arena buffer and beyond keep their buffer', (t) => {
  // Buffers of 8 bytes: one row each, so 70,000 rows need 70,000 buffers.
  const arena = new RowArena(8);
  const count = 70_000;
  for (let i = 0; i < count; i++) commit(arena, i % 2 === 0 ? i : count + i, 0, i + 2);
  for (const slot of [0, 65_534, 65_535, 65_536, 65_537, count - 1]) {
    const i = slot % 2 === 0 ? slot : count + slot;
    t.is(rowText(arena, slot), `id-${i}`);
    t.is(arena.lineOfSlot(slot), slot + 2);
  }
});
