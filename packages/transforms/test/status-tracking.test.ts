import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJournal } from '@bulkpipe/core';
import { runUpload } from '../src/assemble/upload-run.js';
import { pollStatuses } from '../src/status/poll-statuses.js';
import { reconcileBatch } from '../src/status/reconcile.js';
import { CLIENT, context, emulator, fastRun, tempDir } from './upload-helpers.js';

test('v2 failed ids are mapped back to every input line they came from, in failed.csv', async (t) => {
  // The emulator fails ids longer than 6 characters; two such ids, one of them merged from two lines.
  const server = await emulator({ clients: { [CLIENT]: { maxThirdPartyIdLength: 6 } } });
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = join(dir, 'export.csv');
  const lines = ['customer_id,tier', 'c-0001,gold', 'c-0002,silver', 'long-03,gold', 'c-0004,gold', '=long-4,silver', 'long-03,platinum', 'c-0005,gold'];
  await writeFile(input, `${lines.join('\n')}\n`);
  const failedCsvPath = join(dir, 'failed.csv');
  const journalPath = join(dir, 'run.journal');
  const report = await runUpload(fastRun(server, input, { batch: { maxRows: 3 }, failedCsvPath, journalPath }), context());

  t.is(report.outcome, 'failed');
  t.is(report.totals.failedRows, 2);
  t.deepEqual(report.accounting, { read: 7, rejected: 0, merged: 1, sent: 6, booksBalance: true });
  const failed = (await readFile(failedCsvPath, 'utf8')).trim().split('\n');
  t.deepEqual(failed, ['line,id,batchSeq,status,source', `4,long-03,1,failed,${input}`, `7,long-03,1,failed,${input}`, `6,'=long-4,2,failed,${input}`], 'formula-looking cells are neutralised');
  const replay = await readJournal(journalPath);
  t.deepEqual(replay.batches.get(1)?.lastStatus?.failedIds, ['long-03']);
});

test('counts that disagree with what was sent are reported as discrepancies', (t) => {
  const status = { state: 'complete' as const, counts: { batchSize: 9, consumedCount: 8, successfulUpdates: 7, failedUpdates: 1 }, failedIds: ['a', 'b'], polls: 1, timedOut: false };
  const result = reconcileBatch(10, status, 'v2');
  t.is(result.failed, 1);
  t.deepEqual(result.discrepancies, [
    'Target counted 9 rows, 10 were sent',
    'Target consumed 8 of 9 rows',
    'successful 7 + failed 1 + not found 0 ≠ 9 rows',
    'Target reports 1 failed rows but lists 2 ids',
  ]);
  t.deepEqual(reconcileBatch(9, { ...status, counts: { batchSize: 9, consumedCount: 9, successfulUpdates: 9, failedUpdates: 0 }, failedIds: [] }, 'v2').discrepancies, []);
});

test('a batch still processing at the deadline is reported incomplete (timed out), not failed', async (t) => {
  const server = await emulator({ settings: { processingDelayMs: 60_000 } });
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = join(dir, 'export.csv');
  await writeFile(input, 'customer_id,tier\nc-1,gold\n');
  const report = await runUpload(fastRun(server, input, { statusDeadlineMs: 40 }), context());
  t.is(report.batches[0]?.state, 'incomplete');
  t.true(report.batches[0]?.timedOut);
  t.is(report.outcome, 'submitted');
});

test('pollStatuses: from a no-wait run\'s journal (polled and journaled) and from bare status URLs', async (t) => {
  const server = await emulator();
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = join(dir, 'export.csv');
  await writeFile(input, 'customer_id,tier\nc-1,gold\nc-2,silver\nc-3,gold\n');
  const journalPath = join(dir, 'run.journal');
  server.pauseProcessing();
  const report = await runUpload(fastRun(server, input, { batch: { maxRows: 2 }, journalPath, wait: false }), context());
  t.is(report.outcome, 'submitted');
  t.deepEqual(report.batches.map((batch) => batch.state), ['accepted', 'accepted']);

  const once = await pollStatuses({ client: CLIENT, baseUrl: server.url, journalPath });
  t.deepEqual(once.map((status) => [status.seq, status.state, status.fromJournal]), [
    [1, 'incomplete', false],
    [2, 'incomplete', false],
  ]);
  server.resumeProcessing();
  await server.waitForIdle();
  const waited = await pollStatuses({ client: CLIENT, baseUrl: server.url, journalPath, wait: true, initialDelayMs: 1, maxDelayMs: 5 });
  t.deepEqual(waited.map((status) => [status.seq, status.state, status.rows, status.reconciliation?.discrepancies.length]), [
    [1, 'complete', 2, 0],
    [2, 'complete', 1, 0],
  ]);
  const replay = await readJournal(journalPath);
  t.true([...replay.batches.values()].every((batch) => batch.phase === 'done'), 'statuses were journaled');
  const again = await pollStatuses({ client: CLIENT, baseUrl: server.url, journalPath });
  t.true(again.every((status) => status.fromJournal && status.state === 'complete'), 'final statuses come from the journal');

  const byUrl = await pollStatuses({ client: CLIENT, baseUrl: server.url, statusUrls: report.batches.map((batch) => batch.statusUrl as string) });
  t.deepEqual(byUrl.map((status) => status.state), ['complete', 'complete']);
});
