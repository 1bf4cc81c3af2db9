import test from 'ava';
import { ErrorCode, MAX_PROFILE_EXTERNAL_BYTES } from '@bulkpipe/core';
import type { ProfileRow, RejectedRow } from '@bulkpipe/core';
import { createBatchStep } from '../src/batch/batch-step.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';

const origin = (line: number) => ({ source: 'in.csv', line });
const row = (id: string, attributes: Record<string, string>, lines: number[] = [2]): ProfileRow => ({ id, attributes, origins: lines.map(origin) });

function batchWithRejects(rows: ProfileRow[], maxBytes = 1_000) {
  const ctx = new RunContext({ maxRejectRate: 1 });
  const rejects: RejectedRow[] = [];
  ctx.events.on('reject', (reject) => rejects.push(reject));
  const batches = runStep(createBatchStep({ maxBytes }, ctx), rows);
  return { batches, rejects, ctx };
}

test('a row that cannot fit even alone is rejected without closing the batch in progress', (t) => {
  const { batches, rejects } = batchWithRejects([row('a', { x: '1' }, [2]), row('big', { x: 'y'.repeat(200) }, [3]), row('b', { x: '2' }, [4])], 100);
  t.deepEqual(batches.map((batch) => batch.ids), [['a', 'b']]);
  t.deepEqual(rejects.map((reject) => [reject.line, reject.id, reject.code]), [[3, 'big', ErrorCode.ROW_TOO_LARGE]]);
  t.regex(rejects[0]!.message, /not below the cap of 100 bytes; raise --max-bytes/);
});

test('rejecting a merged row rejects every line folded into it and keeps the books balanced', (t) => {
  const ctx = new RunContext({ maxRejectRate: 1 });
  const rejects: RejectedRow[] = [];
  ctx.events.on('reject', (reject) => rejects.push(reject));
  // As after a merge: 4 lines read, 2 of them folded into the big row.
  Object.assign(ctx.counters, { read: 4, merged: 2 });
  runStep(createBatchStep({ maxBytes: 100 }, ctx), [row('big', { x: 'y'.repeat(200) }, [2, 3, 5]), row('a', { x: '1' }, [4])]);
  t.deepEqual(rejects.map((reject) => reject.line), [2, 3, 5]);
  t.deepEqual([ctx.counters.rejected, ctx.counters.merged, ctx.counters.sent], [3, 0, 1]);
  t.true(ctx.booksBalance());
});

test('a row whose encoded attributes pass 64 KB is rejected as PROFILE_TOO_LARGE', (t) => {
  const half = 'v'.repeat(MAX_PROFILE_EXTERNAL_BYTES / 2);
  const { batches, rejects } = batchWithRejects([row('ok', { a: half.slice(2) }), row('big', { a: half, b: half })], 50_000_000);
  t.deepEqual(batches.flatMap((batch) => batch.ids), ['ok']);
  t.deepEqual(rejects.map((reject) => [reject.id, reject.code]), [['big', ErrorCode.PROFILE_TOO_LARGE]]);
  t.regex(rejects[0]!.message, /65538 bytes of encoded attributes, above Target's 65536-byte limit/);
});

test('a lone surrogate is rejected as VALUE_UNENCODABLE instead of throwing', (t) => {
  const { batches, rejects } = batchWithRejects([row('a', { x: 'bad\uD800' }), row('b', { x: 'fine' })]);
  t.deepEqual(batches.flatMap((batch) => batch.ids), ['b']);
  t.is(rejects[0]?.code, ErrorCode.VALUE_UNENCODABLE);
});

test('commas, CR and LF never reach a body, even encoded: the row is rejected', (t) => {
  const { batches, rejects } = batchWithRejects([row('a', { x: '1,2' }), row('b', { 'x\ny': '1' }), row('c,d', {}), row('e', { x: 'fine' })]);
  t.deepEqual(batches.flatMap((batch) => batch.ids), ['e']);
  t.deepEqual(rejects.map((reject) => reject.code), [ErrorCode.VALUE_FORBIDDEN_CHAR, ErrorCode.VALUE_FORBIDDEN_CHAR, ErrorCode.ID_FORBIDDEN_CHAR]);
});

test('invalid options are refused with a coded error naming the option and the value', (t) => {
  const ctx = new RunContext();
  t.throws(() => createBatchStep({ maxBytes: 50_000_001 }, ctx), { code: ErrorCode.INVALID_OPTION, message: /maxBytes.*50000001/ });
  t.throws(() => createBatchStep({ maxRows: 0 }, ctx), { code: ErrorCode.INVALID_OPTION, message: /maxRows/ });
  t.throws(() => createBatchStep({ maxRows: 1.5 }, ctx), { code: ErrorCode.INVALID_OPTION, message: /maxRows/ });
  t.throws(() => createBatchStep({ idType: 'ecid' as 'pcId' }, ctx), { code: ErrorCode.INVALID_OPTION, message: /idType.*"ecid"/ });
});
