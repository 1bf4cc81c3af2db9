/**
 * Batches of the byte batcher make their SHA-256 when it is first read, unless a sink settles it first from the
 * file it wrote (hashed on a helper thread: `writeBatchFiles({ digestOffThread })`). Whoever makes it, it must
 * be the digest of the batch's own bytes — also when the batch was released and a later batch was built in its
 * memory before anyone read it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { resolveMergeOptions } from '../src/merge/merge-options.js';
import { resolveBatchOptions } from '../src/batch/batch-options.js';
import type { Batch } from '../src/batch/batch.js';
import { ArenaMerge } from '../src/merge/arena-merge.js';
import { ByteBatcher, releaseBatch } from '../src/batch/byte-batcher.js';
import { HEADER_ROOM } from '../src/batch/byte-batch-builder.js';
import { digestPending, settleDigest } from '../src/batch/batch-digest.js';
import { FileDigests } from '../src/batch-files/file-digests.js';
import { writeBatchFiles } from '../src/batch-files/write-batch-files.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const columns = Object.freeze(['id', 'city', 'note']);
const MAX_BYTES = 20_000;

/** Byte batches of 2,500 rows (about eight), each handed to `onBatch` as it is cut. */
function batches(onBatch: (batch: Batch) => void): void {
  const ctx = new RunContext({ enforceRejectRate: false });
  const merge = new ArenaMerge({ idColumn: 'id' }, resolveMergeOptions(), ctx, HEADER_ROOM + MAX_BYTES);
  for (let i = 0; i < 3_000; i++) {
    const record: InputRecord = { source: 'a.csv', line: i + 2, columns, fields: { id: `c-${i % 2_500}`, city: i % 3 === 0 ? '' : 'Zürich', note: `#${i}-${'z'.repeat(i % 70)}` } };
    merge.push(record);
  }
  const batcher = new ByteBatcher(resolveBatchOptions({ maxBytes: MAX_BYTES }), ctx, onBatch);
  for (const _ of merge.drain(batcher));
  batcher.flush();
}

test('a batch digest is made from its body when first read, and a settled digest is kept', (t) => {
  const seen: Batch[] = [];
  batches((batch) => seen.push(batch));
  t.true(seen.length > 4);
  const [first, second] = seen as [Batch, Batch];
  t.true(digestPending(first));
  t.is(first.sha256, sha256(first.body));
  t.false(digestPending(first));
  settleDigest(second, 'a'.repeat(64));
  t.false(digestPending(second));
  t.is(second.sha256, 'a'.repeat(64));
  settleDigest(first, 'b'.repeat(64)); // known already: changes nothing
  t.is(first.sha256, sha256(first.body));
});

test('regression: a batch released before its digest was read keeps the digest of its own bytes, not of the batch built in its memory next', (t) => {
  const released: { batch: Batch; expected: string }[] = [];
  batches((batch) => {
    released.push({ batch, expected: sha256(Buffer.from(batch.body)) });
    // Checked through the copy above: reading sha256 here would make the digest before the release.
    releaseBatch(batch);
  });
  // Released at once, each body was built in again by the next batch (batch-body-reuse.test.ts).
  t.true(new Set(released.map(({ batch }) => batch.body.buffer)).size < released.length);
  for (const { batch, expected } of released) t.is(batch.sha256, expected);
});

const digestsOfFiles = test.macro(async (t, releaseBodies: boolean) => {
  const made: Batch[] = [];
  batches((batch) => made.push(batch));
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-digest-'));
  const files = writeBatchFiles(dir, { digestOffThread: true, releaseBodies });
  await pipeline(Readable.from([made.slice(0, 3), made.slice(3)]), files);
  t.is(files.entries.length, made.length);
  for (const [i, entry] of files.entries.entries()) {
    const body = readFileSync(join(dir, entry.file));
    t.is(entry.sha256, sha256(body));
    t.false(digestPending(made[i]!));
  }
});

test('writeBatchFiles({ digestOffThread }) lists the digest of each file written and settles each digest, bodies released', digestsOfFiles, true);
test('… and with bodies not released', digestsOfFiles, false);

test('FileDigests hashes files in order, names a file it cannot read, and refuses work once closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-digest-'));
  const contents = ['', 'one line\n', 'x'.repeat(3 * 1024 * 1024 + 7)];
  contents.forEach((text, i) => writeFileSync(join(dir, `f${i}`), text));
  const digests = new FileDigests();
  t.teardown(() => digests.close());
  const answers = await Promise.all(contents.map((_, i) => digests.digest(join(dir, `f${i}`))));
  t.deepEqual(
    answers,
    contents.map((text) => sha256(Buffer.from(text))),
  );
  await t.throwsAsync(digests.digest(join(dir, 'missing')), { message: /cannot read .*missing back to hash it/ });
  t.is(await digests.digest(join(dir, 'f1')), sha256(Buffer.from('one line\n')));
  await digests.close();
  await t.throwsAsync(digests.digest(join(dir, 'f1')), { message: /closed/ });
});
