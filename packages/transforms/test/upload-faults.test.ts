import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '@bulkpipe/core';
import type { FaultRuleInput } from '@bulkpipe/emulator';
import { runUpload } from '../src/assemble/upload-run.js';
import type { UploadRunOptions } from '../src/assemble/upload-run.js';
import { EventEmitter } from 'node:events';
import type { UploadEvents } from '../src/upload/upload-events.js';
import { context, emulator, fastRun, tempDir, writeExport } from './upload-helpers.js';

const noJitter = () => 0;

async function runWithFault(fault: FaultRuleInput, extra: Partial<UploadRunOptions> = {}) {
  const server = await emulator({ faults: [fault] });
  const dir = await tempDir();
  const input = await writeExport(dir, 25);
  const events = new EventEmitter<UploadEvents>();
  const retries: UploadEvents['retry-scheduled'][0][] = [];
  events.on('retry-scheduled', (event) => retries.push(event));
  try {
    const report = await runUpload(
      fastRun(server, input, { random: noJitter, rateWindowMs: 50, events, failedCsvPath: join(dir, 'failed.csv'), journalPath: join(dir, 'run.journal'), ...extra }),
      context(),
    );
    return { report, retries, calls: server.calls(), faults: server.faults(), dir };
  } finally {
    await server.close();
  }
}

const retryable: Array<[string, FaultRuleInput, Partial<UploadRunOptions>?]> = [
  ['a storm of 503s', { kind: 'status', endpoint: 'batchUpdate', statusCode: 503, retryAfterSeconds: null, times: 4 }],
  ['429 with Retry-After', { kind: 'status', endpoint: 'batchUpdate', statusCode: 429, retryAfterSeconds: 1, times: 1 }, { retry: { minDelayMs: 1, maxDelayMs: 5, jitter: 'none', maxRetryAfterMs: 20 } }],
  ['HTTP 500s', { kind: 'status', endpoint: 'batchUpdate', statusCode: 500, times: 3 }],
  ['502 and 504 from a gateway', { kind: 'status', endpoint: 'batchUpdate', statusCode: 502, times: 2 }],
  ['connection resets before the body', { kind: 'reset', endpoint: 'batchUpdate', when: 'before-body', times: 2 }],
  ['connection resets after the body', { kind: 'reset', endpoint: 'batchUpdate', when: 'after-body', times: 2 }],
  ['a reset after Target accepted (the batch is sent twice, harmlessly)', { kind: 'reset', endpoint: 'batchUpdate', when: 'after-accept', times: 1 }],
  ['a response slower than the headers timeout', { kind: 'latency', endpoint: 'batchUpdate', latencyMs: 1500, times: 1 }, { http: { headersTimeoutMs: 200 } }],
  ['status polls that fail with 503 and resets', { kind: 'status', endpoint: 'batchStatus', statusCode: 503, retryAfterSeconds: null, times: 3 }],
];

for (const [name, fault, extra] of retryable) {
  test(`recovers from ${name}`, async (t) => {
    const { report, retries, faults } = await runWithFault(fault, extra);
    t.true((faults[0]?.fired ?? 0) > 0, 'the fault fired');
    t.is(report.outcome, 'complete');
    t.true(report.batches.every((batch) => batch.state === 'complete'));
    t.true(retries.length >= (faults[0]?.fired ?? 0), 'every fault was followed by a retry');
    t.deepEqual(report.accounting, { read: 25, rejected: 0, merged: 0, sent: 25, booksBalance: true });
  });
}

test('429 Retry-After is honoured (the retry waits at least the capped Retry-After)', async (t) => {
  const { retries } = await runWithFault({ kind: 'status', endpoint: 'batchUpdate', statusCode: 429, retryAfterSeconds: 1, times: 1 }, {
    retry: { minDelayMs: 1, maxDelayMs: 5, jitter: 'none', maxRetryAfterMs: 20 },
  });
  t.is(retries.length, 1);
  t.is(retries[0]?.statusCode, 429);
  t.true(retries[0]?.retryAfter);
  t.is(retries[0]?.delayMs, 20);
});

const failing: Array<[string, FaultRuleInput, string]> = [
  ['HTTP 400', { kind: 'status', endpoint: 'batchUpdate', statusCode: 400, times: 1 }, ErrorCode.TARGET_HTTP_STATUS],
  ['HTTP 501', { kind: 'status', endpoint: 'batchUpdate', statusCode: 501, times: 1 }, ErrorCode.TARGET_HTTP_STATUS],
  [
    'success=false (Unexpected error)',
    { kind: 'status', endpoint: 'batchUpdate', statusCode: 200, times: 1, body: '<response><success>false</success><message>Unexpected error</message></response>' },
    ErrorCode.TARGET_REJECTED,
  ],
];

for (const [name, fault, code] of failing) {
  test(`${name} fails that batch at once, reports it, and the run goes on`, async (t) => {
    const { report, retries, dir } = await runWithFault(fault, { concurrency: 1 });
    t.is(retries.length, 0, 'not retried');
    t.is(report.outcome, 'failed');
    const [first, ...rest] = report.batches;
    t.is(first?.state, 'failed');
    t.is(first?.error?.code, code);
    t.is(first?.attempts, 1);
    t.true(rest.every((batch) => batch.state === 'complete'));
    t.is(report.totals.failed, 1);
    const failed = (await readFile(join(dir, 'failed.csv'), 'utf8')).trim().split('\n');
    t.is(failed.length, 1 + 10, 'header + every line of the failed batch');
    t.regex(failed[1] ?? '', new RegExp(`^2,c-0001,1,submit-failed:${code},`));
  });
}

test('a batch that goes stuck is reported stuck, and its lines go to failed.csv', async (t) => {
  const { report, dir } = await runWithFault({ kind: 'stuck', endpoint: 'batchUpdate', times: 1, skip: 1 }, { concurrency: 1 });
  t.is(report.outcome, 'failed');
  t.deepEqual(report.batches.map((batch) => batch.state), ['complete', 'stuck', 'complete']);
  t.is(report.totals.stuck, 1);
  const failed = (await readFile(join(dir, 'failed.csv'), 'utf8')).trim().split('\n');
  t.is(failed.length, 1 + 10);
  t.true(failed.slice(1).every((line) => /^\d+,c-00(1[1-9]|20),2,stuck,/.test(line)));
});

test('a status Target forgot is reported unknown, not failed', async (t) => {
  const { report } = await runWithFault({ kind: 'forget-status', endpoint: 'batchUpdate', times: 1, afterMs: 0 }, { concurrency: 1 });
  t.is(report.batches[0]?.state, 'unknown');
  t.is(report.totals.unknown, 1);
  t.is(report.totals.failed, 0);
  t.is(report.outcome, 'submitted');
});

test('retries exhausted: the batch fails with RETRIES_EXHAUSTED and the run goes on', async (t) => {
  const { report } = await runWithFault({ kind: 'status', endpoint: 'batchUpdate', statusCode: 500, times: 3 }, { concurrency: 1, retry: { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 2, jitter: 'none' } });
  t.is(report.batches[0]?.state, 'failed');
  t.is(report.batches[0]?.error?.code, ErrorCode.RETRIES_EXHAUSTED);
  t.is(report.batches[0]?.attempts, 3);
  t.deepEqual(report.batches.slice(1).map((batch) => batch.state), ['complete', 'complete']);
});
