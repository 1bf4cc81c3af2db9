/**
 * A spilled merge merges partition after partition; their arenas share an ArenaBufferPool so each merge builds
 * in the buffers the one before let go (fresh ones page-faulted on every first write). Rows written into a
 * reused buffer are the rows written, whatever the buffer held; a buffer given away as a batch body never
 * comes back.
 */
import test from 'ava';
import { ArenaBufferPool, RowArena } from '../src/merge/row-arena.js';

const CHUNK = 64;

/** Commits `rows` rows `id-N,value` (each its own id) and returns their bytes as the arena holds them. */
function fill(arena: RowArena, rows: number, tag: string): string[] {
  const held: string[] = [];
  for (let i = 0; i < rows; i++) {
    const text = `id-${tag}-${i},${tag.repeat(i % 5)}`;
    const at = arena.ensure(arena.rowStart, text.length);
    arena.buf.write(text, at, 'latin1');
    const idBytes = text.indexOf(',');
    if (at !== arena.rowStart) throw new Error('rows start where ensure says');
    arena.findOrCommit(idBytes, at + text.length, 0, 0, i + 2);
    held.push(text);
  }
  return held;
}

function heldRows(arena: RowArena): string[] {
  const rows: string[] = [];
  for (let slot = 0; slot < arena.size; slot++) {
    const start = arena.startOfSlot(slot);
    rows.push(arena.bufferOf(slot).toString('latin1', start, start + arena.lengthOfSlot(slot)));
  }
  return rows;
}

test('a cleared arena hands its buffers to the next one through the pool, and the next one holds exactly its own rows', (t) => {
  const pool = new ArenaBufferPool(CHUNK, 16);
  const first = new RowArena(CHUNK, 0, pool);
  const firstRows = fill(first, 40, 'a');
  t.deepEqual(heldRows(first), firstRows);
  const firstBuffers = new Set(Array.from({ length: first.size }, (_, slot) => first.bufferOf(slot)));
  t.true(firstBuffers.size > 2, 'the rows took several buffers');
  first.clear();

  const second = new RowArena(CHUNK, 0, pool);
  const secondRows = fill(second, 25, 'bb');
  t.deepEqual(heldRows(second), secondRows);
  const secondBuffers = new Set(Array.from({ length: second.size }, (_, slot) => second.bufferOf(slot)));
  t.true([...secondBuffers].every((buffer) => firstBuffers.has(buffer)), 'every buffer of the second arena was one of the first');
});

test('the pool keeps at most its count of buffers, only of its size, and never a claimed one', (t) => {
  const pool = new ArenaBufferPool(CHUNK, 2);
  const arena = new RowArena(CHUNK, 0, pool);
  fill(arena, 40, 'c');
  const claimed = arena.bufferOf(0);
  t.true(arena.claim(claimed));
  arena.clear();
  const taken = [pool.take(CHUNK), pool.take(CHUNK), pool.take(CHUNK)];
  t.is(taken.filter((buffer) => buffer !== undefined).length, 2);
  t.false(taken.includes(claimed));
  pool.give(Buffer.allocUnsafeSlow(CHUNK * 2));
  t.is(pool.take(CHUNK), undefined, 'a buffer of another size is not kept');
  pool.give(Buffer.allocUnsafeSlow(CHUNK));
  t.is(pool.take(CHUNK * 2), undefined, 'a request larger than the pool’s buffers is not met');
});
