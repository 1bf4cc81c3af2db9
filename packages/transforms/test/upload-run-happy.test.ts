import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJournal } from '@bulkpipe/core';
import { runUpload } from '../src/assemble/upload-run.js';
import { CLIENT, context, emulator, fastRun, tempDir, writeExport } from './upload-helpers.js';

for (const apiVersion of ['v1', 'v2'] as const) {
  test(`${apiVersion}: every batch is accepted, completes, and the profiles hold the values sent`, async (t) => {
    const server = await emulator();
    t.teardown(() => server.close());
    const dir = await tempDir();
    const input = await writeExport(dir, 35);
    if (apiVersion === 'v1') {
      // v1 only updates: the profiles must exist first.
      for (let n = 1; n <= 35; n++) server.simulateMboxCall(CLIENT, { thirdPartyId: `c-${String(n).padStart(4, '0')}` });
    }
    const journalPath = join(dir, 'run.journal');
    const report = await runUpload(fastRun(server, input, { apiVersion, journalPath, failedCsvPath: join(dir, 'failed.csv') }), context());

    t.is(report.outcome, 'complete');
    t.is(report.batches.length, 4);
    t.deepEqual(report.batches.map((batch) => batch.rows), [10, 10, 10, 5]);
    t.true(report.batches.every((batch) => batch.state === 'complete' && batch.statusUrl !== undefined && batch.counts.batchSize === batch.rows));
    t.deepEqual(report.accounting, { read: 35, rejected: 0, merged: 0, sent: 35, booksBalance: true });
    t.is(report.totals.accepted, 4);
    t.is(report.totals.failedLines, 0);
    t.is(server.getProfile(CLIENT, { thirdPartyId: 'c-0007' })?.profileAttributes.city?.value, 'City 7');
    t.is(server.getProfile(CLIENT, { thirdPartyId: 'c-0033' })?.profileAttributes.tier?.value, 'gold');

    const calls = server.calls().filter((call) => call.endpoint.startsWith('batchUpdate'));
    t.is(calls.length, 4);
    t.true(calls.every((call) => call.endpoint === (apiVersion === 'v1' ? 'batchUpdateV1' : 'batchUpdateV2')));

    const replay = await readJournal(journalPath);
    t.is(replay.batches.size, 4);
    t.true([...replay.batches.values()].every((batch) => batch.phase === 'done'));
    t.true(replay.finished);
    t.is(replay.runEnd?.outcome, 'complete');
    t.is((await readFile(join(dir, 'failed.csv'), 'utf8')).trim(), 'line,id,batchSeq,status,source');
  });
}

test('dry run: batches are planned, nothing is sent, no journal is written', async (t) => {
  const server = await emulator();
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = await writeExport(dir, 25);
  const report = await runUpload(fastRun(server, input, { dryRun: true, journalPath: join(dir, 'run.journal') }), context());
  t.is(report.outcome, 'dry-run');
  t.deepEqual(report.batches.map((batch) => [batch.seq, batch.rows, batch.state]), [
    [1, 10, 'planned'],
    [2, 10, 'planned'],
    [3, 5, 'planned'],
  ]);
  t.is(server.calls().length, 0);
  await t.throwsAsync(readFile(join(dir, 'run.journal')));
});
