/**
 * rowCursor / edgeSources read a batch's rows without building its `ids` / `origins` arrays. They must give
 * exactly what the arrays hold — for batches of the byte batcher (compact rows: ids read back from the body,
 * raw ids kept aside, merged rows' origins, sources in runs) and for batches anyone else made (plain arrays).
 * And the upload must use them: the arrays of batches in flight once doubled `bulkpipe run`'s peak RSS.
 */
import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { InputRecord, RowOrigin } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { ByteBatcher } from '../src/batch/byte-batcher.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import { edgeSources, rowCursor } from '../src/batch/batch-rows.js';
import type { Batch } from '../src/batch/batch.js';
import { BatchRowIndex } from '../src/upload/batch-row-index.js';
import { uploadBatches } from '../src/upload/upload-sink.js';
import { progressOf } from '../src/upload/batch-progress.js';
import { sampleBatch } from '../src/upload/sent-sample.js';
import { context, tempDir } from './upload-helpers.js';

const columns = Object.freeze(['id', 'tier', 'city']);
// Ids whose encoding changes them (raw ids kept aside), and few enough that duplicates fold.
const idArb = fc.constantFrom('c-1', 'c-2', 'ü-3', 'a b', 'x&y', 'c-6', 'c-7', "o'k", 'c-9');
const caseArb = fc.record({
  rows: fc.array(fc.tuple(idArb, fc.constantFrom('', 'gold', 'silver'), fc.constantFrom('', 'Zürich', 'Bern'), fc.boolean()), { minLength: 1, maxLength: 30 }),
  policy: fc.constantFrom<MergePolicy>('last', 'first'),
  maxRows: fc.constantFrom(1, 3, 500_000),
});

function byteBatches(rows: readonly [string, string, string, boolean][], policy: MergePolicy, maxRows: number): Batch[] {
  const input: InputRecord[] = rows.map(([id, tier, city, second], i) => ({ source: second ? 'b.csv' : 'a.csv', line: i + 2, columns, fields: { id, tier, city } }));
  const ctx = new RunContext({ enforceRejectRate: false });
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions({ policy }), ctx, 64);
  for (const record of input) merge.push(record);
  const batches: Batch[] = [];
  const batcher = new ByteBatcher(resolveBatchOptions({ maxRows }), ctx, (batch) => batches.push(batch));
  for (const _ of merge.drain(batcher));
  batcher.flush();
  return batches;
}

/**
 * What the cursor yields, with each row's origins as the arrays would list them; `singleAsArray` counts rows
 * whose one origin came as an array (it must come as source and line).
 */
function walk(batch: Batch): { ids: string[]; origins: (readonly RowOrigin[])[]; singleAsArray: number; badIdBytes: number } {
  const ids: string[] = [];
  const origins: (readonly RowOrigin[])[] = [];
  let singleAsArray = 0;
  let badIdBytes = 0;
  const rows = rowCursor(batch);
  while (rows.next()) {
    ids.push(rows.id);
    origins.push(rows.origins ?? [{ source: rows.source, line: rows.line }]);
    if (rows.origins?.length === 1) singleAsArray++;
    // The id's bytes, when given, are the id itself: unreserved characters, nothing escaped.
    if (rows.idBuffer !== undefined && (rows.idBuffer.toString('latin1', rows.idFrom, rows.idTo) !== rows.id || !/^[A-Za-z0-9._~-]+$/.test(rows.id))) badIdBytes++;
  }
  return { ids, origins, singleAsArray, badIdBytes };
}

/** The same batch as plain arrays (how a user-made batch looks). */
function plain(batch: Batch): Batch {
  return { seq: batch.seq, body: batch.body, rows: batch.rows, bytes: batch.bytes, sha256: batch.sha256, firstLine: batch.firstLine, lastLine: batch.lastLine, ids: [...batch.ids], origins: [...batch.origins] };
}

test('rowCursor and edgeSources give exactly the ids and origins arrays, for byte-batcher batches and plain ones', (t) => {
  fc.assert(
    fc.property(caseArb, ({ rows, policy, maxRows }) => {
      for (const batch of byteBatches(rows, policy, maxRows)) {
        // Cursor first: the arrays must not be needed for it.
        const compact = walk(batch);
        const compactEdges = edgeSources(batch);
        const expected = { ids: [...batch.ids], origins: [...batch.origins], singleAsArray: 0, badIdBytes: 0 };
        t.deepEqual(compact, expected);
        const copy = plain(batch);
        t.deepEqual(walk(copy), expected);
        t.deepEqual(compactEdges, edgeSources(copy));
        t.deepEqual(compactEdges, { first: batch.origins[0]![0]!.source, last: batch.origins.at(-1)!.at(-1)!.source });
      }
    }),
    { numRuns: 300 },
  );
});

test('rows past the first block of line numbers (16,384 rows) keep their lines and sources', (t) => {
  const rows: [string, string, string, boolean][] = [];
  // Distinct ids in two runs of sources, a merged row near the end: one batch of ~40,000 rows.
  for (let i = 0; i < 40_000; i++) rows.push([`c-${i}`, i % 3 === 0 ? 'gold' : '', 'Bern', i >= 20_000]);
  rows.push(['c-39990', 'silver', '', true]);
  const [batch, ...rest] = byteBatches(rows, 'last', 500_000);
  t.is(rest.length, 0);
  t.is(batch!.rows, 40_000);
  const { origins } = walk(batch!);
  t.deepEqual(origins[16_384], [{ source: 'a.csv', line: 16_386 }]);
  t.deepEqual(origins[20_000], [{ source: 'b.csv', line: 20_002 }]);
  t.deepEqual(origins[39_990], [{ source: 'b.csv', line: 39_992 }, { source: 'b.csv', line: 40_002 }]);
  t.deepEqual(origins[39_999], [{ source: 'b.csv', line: 40_001 }]);
  t.deepEqual(origins, [...batch!.origins]);
});

/** Makes reading `ids` or `origins` of the batch fail: what the upload must not do with batches of the batcher. */
function forbidArrays(batch: Batch): Batch {
  for (const key of ['ids', 'origins']) {
    Object.defineProperty(batch, key, {
      enumerable: true,
      get: () => {
        throw new Error(`batch.${key} was built`);
      },
    });
  }
  return batch;
}

test('regression: the upload records, samples and indexes a batch without building its ids and origins arrays (they doubled run’s peak RSS)', async (t) => {
  const rows: [string, string, string, boolean][] = [];
  // Ids whose encoding changes them (raw ids kept aside) among plain ones; duplicates fold into merged rows.
  for (let i = 0; i < 200; i++) rows.push([i % 10 === 0 ? `ü "${i % 150}"\\` : `c-${i % 150}`, i % 2 === 0 ? 'gold' : '', 'Zürich', i % 7 === 0]);
  const reference = byteBatches(rows, 'last', 60);
  const batches = byteBatches(rows, 'last', 60).map(forbidArrays);
  t.throws(() => batches[0]!.ids, { message: 'batch.ids was built' });

  const dir = await tempDir();
  const index = await BatchRowIndex.create(dir);
  t.teardown(() => index.close());
  // A dry run goes as far as the row index (and the batch's progress entry), then sends nothing.
  await pipeline(Readable.from([batches]), uploadBatches({ dryRun: true, rowIndex: index }, context()));
  t.is(index.has(reference.length), true);

  for (const [i, batch] of reference.entries()) {
    t.deepEqual(
      await index.rows(batch.seq),
      batch.ids.map((id, row) => ({ id, origins: batch.origins[row] })),
    );
    t.deepEqual(progressOf(batches[i]!), progressOf(batch));
    t.deepEqual(sampleBatch(batches[i]!, 'thirdPartyId', 5), sampleBatch(plain(batch), 'thirdPartyId', 5));
  }
  t.is(createHash('sha256').update(batches[0]!.body).digest('hex'), reference[0]!.sha256);
});
