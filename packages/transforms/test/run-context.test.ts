import test from 'ava';
import { isBulkpipeError, ErrorCode } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';

const reject = (line: number, code = 'BULKPIPE_ID_EMPTY') => ({ source: 'in.csv', line, code, message: 'id is empty' });

test('the books balance when read = rejected + merged + sent', (t) => {
  const ctx = new RunContext();
  Object.assign(ctx.counters, { read: 10, rejected: 2, merged: 3, sent: 5 });
  t.true(ctx.booksBalance());
  t.notThrows(() => ctx.assertBooksBalance());
  ctx.counters.sent = 4;
  t.false(ctx.booksBalance());
  const error = t.throws(() => ctx.assertBooksBalance());
  t.true(isBulkpipeError(error, ErrorCode.BOOKS_UNBALANCED));
  t.regex(error.message, /read 10 ≠ rejected 2 \+ merged 3 \+ sent 4/);
});

test('rejects are tallied by code with a bounded number of examples', (t) => {
  const ctx = new RunContext({ examplesPerCode: 2 });
  ctx.counters.read = 3;
  for (const line of [2, 3, 4]) ctx.reject(reject(line));
  const tally = ctx.rejectsByCode.get('BULKPIPE_ID_EMPTY');
  t.is(tally?.count, 3);
  t.deepEqual(tally?.examples.map((example) => example.line), [2, 3]);
  t.is(ctx.counters.rejected, 3);
});

test('the reject ceiling is not judged mid-run on too few rows', (t) => {
  const ctx = new RunContext({ maxRejectRate: 0.05, rejectRateMinRows: 1000 });
  ctx.counters.read = 10;
  t.notThrows(() => ctx.reject(reject(2)));
});

test('passing the reject ceiling mid-run stops with a message naming the most common reason', (t) => {
  const ctx = new RunContext({ maxRejectRate: 0.05, rejectRateMinRows: 100 });
  ctx.counters.read = 100;
  for (let line = 2; line < 7; line++) ctx.reject(reject(line));
  const error = t.throws(() => ctx.reject(reject(7, 'BULKPIPE_ID_ECID')));
  t.true(isBulkpipeError(error, ErrorCode.REJECT_RATE_EXCEEDED));
  t.regex(error.message, /6 of 100 rows rejected \(6\.0 %\), above the ceiling of 5\.0 %/);
  t.regex(error.message, /BULKPIPE_ID_EMPTY \(5×\), e\.g\. line 2/);
});

test('with the ceiling not enforced the rate is still reported as exceeded', (t) => {
  const ctx = new RunContext({ maxRejectRate: 0.05, rejectRateMinRows: 1, enforceRejectRate: false });
  ctx.counters.read = 2;
  t.notThrows(() => ctx.reject(reject(2)));
  t.true(ctx.rejectRateExceeded());
});

test('an invalid ceiling is a coded option error', (t) => {
  const error = t.throws(() => new RunContext({ maxRejectRate: 5 }));
  t.true(isBulkpipeError(error, ErrorCode.INVALID_OPTION));
  t.regex(error.message, /maxRejectRate/);
});

test('with the input size known, a mid-run stop waits until the rejects pass the ceiling of the whole input', (t) => {
  const ctx = new RunContext({ maxRejectRate: 0.05, rejectRateMinRows: 1000 });
  ctx.expectInputBytes(1_000_000);
  // 1,000 rows read, 10 % of the bytes: the input is projected to hold 10,000 rows, so 500 rejects pass its ceiling.
  ctx.counters.read = 1000;
  ctx.counters.bytesRead = 100_000;
  for (let line = 2; line < 502; line++) t.notThrows(() => ctx.reject(reject(line)), `${line - 1} rejects`);
  const error = t.throws(() => ctx.reject(reject(502)));
  t.true(isBulkpipeError(error, ErrorCode.REJECT_RATE_EXCEEDED));
  // The message still states the rate of what was read.
  t.regex(error.message, /501 of 1000 rows rejected \(50\.1 %\)/);
});
