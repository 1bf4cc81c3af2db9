import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { ErrorCode, batchesInPhase, readJournal } from '@bulkpipe/core';
import type { BulkpipeError } from '@bulkpipe/core';
import { runUpload } from '../src/assemble/upload-run.js';
import type { UploadEvents } from '../src/upload/upload-events.js';
import { context, emulator, exportCsv, fastRun, tempDir, writeExport } from './upload-helpers.js';

function batchPosts(server: { calls(): Array<{ endpoint: string }> }): number {
  return server.calls().filter((call) => call.endpoint.startsWith('batchUpdate')).length;
}

/** An emulator on port 0 (closed with the test), an export of `rows` rows and a journal path beside it. */
async function journaledRun(t: ExecutionContext, rows: number, options?: Parameters<typeof emulator>[0]) {
  const server = await emulator(options);
  t.teardown(() => server.close());
  const dir = await tempDir();
  return { server, input: await writeExport(dir, rows), journalPath: join(dir, 'run.journal') };
}

test('a run interrupted after two accepted batches resumes by sending exactly the missing ones', async (t) => {
  const { server, input, journalPath } = await journaledRun(t, 55);

  const stop = new AbortController();
  const events = new EventEmitter<UploadEvents>();
  let accepted = 0;
  events.on('batch-accepted', () => {
    if (++accepted === 2) stop.abort(new Error('interrupted by the test'));
  });
  await t.throwsAsync(runUpload(fastRun(server, input, { journalPath, concurrency: 1, events }), context(stop.signal)), { message: 'interrupted by the test' });
  const first = await readJournal(journalPath);
  t.is(first.runEnd?.outcome, 'aborted');
  t.deepEqual(batchesInPhase(first, 'accepted', 'done'), [1, 2]);
  const sentFirst = batchPosts(server);
  t.is(sentFirst, 2);

  const resumedEvents = new EventEmitter<UploadEvents>();
  const submitted: number[] = [];
  resumedEvents.on('batch-submitting', (event) => submitted.push(event.seq));
  const report = await runUpload(fastRun(server, input, { journalPath, events: resumedEvents }), context());
  t.true(report.resumed);
  t.is(report.outcome, 'complete');
  t.deepEqual(submitted.sort((a, b) => a - b), [3, 4, 5, 6]);
  t.is(batchPosts(server) - sentFirst, 4, 'the server got exactly the four missing batches');
  t.deepEqual(report.batches.map((batch) => batch.resumed), [true, true, false, false, false, false]);
  t.is(report.totals.resumed, 2);
  t.is(report.totals.accepted, 4);
  t.true(report.batches.every((batch) => batch.state === 'complete'), 'resumed batches are polled too');
  const replay = await readJournal(journalPath);
  t.is(replay.runs, 2);
  t.true(replay.finished);
});

const journalLeftBeforeRunStart = test.macro(async (t, left: string) => {
  const { server, input, journalPath } = await journaledRun(t, 25);
  await writeFile(journalPath, left);
  const report = await runUpload(fastRun(server, input, { journalPath }), context());
  t.is(report.outcome, 'complete');
  t.false(report.resumed);
  const replay = await readJournal(journalPath);
  t.is(replay.runs, 1);
  t.is(replay.tornTail, undefined);
  t.true(replay.finished);
});

// A crash between creating the journal and writing its run-start record (the CLI's crash-resume test hit it with a
// SIGKILL at a seeded moment): nothing was sent, so the next run starts afresh instead of calling the journal corrupt.
test('regression: an empty journal (a run killed before its run-start record) starts afresh', journalLeftBeforeRunStart, '');
test('regression: a journal holding only a torn run-start record starts afresh', journalLeftBeforeRunStart, '{"type":"run-start","runId":"4f1');

/**
 * Runs an upload whose second submission takes `latencyMs` to answer and stops it 50 ms into that call:
 * gracefully (the run's signal) or hard (`forceSignal` too, like a second SIGINT or a crash).
 */
async function stopWhileBatch2IsOnTheWire(t: ExecutionContext, latencyMs: number, hard: boolean) {
  const { server, input, journalPath } = await journaledRun(t, 25, { faults: [{ kind: 'latency', endpoint: 'batchUpdate', latencyMs, skip: 1, times: 1 }] });
  const stop = new AbortController();
  const events = new EventEmitter<UploadEvents>();
  events.on('batch-submitting', (event) => {
    if (event.seq === 2) setTimeout(() => stop.abort(new Error('stopped while batch 2 is in flight')), 50);
  });
  const options = fastRun(server, input, { journalPath, concurrency: 1, events, ...(hard ? { forceSignal: stop.signal } : {}) });
  await t.throwsAsync(runUpload(options, context(stop.signal)));
  return { server, input, journalPath, journal: await readJournal(journalPath) };
}

test('a batch in doubt (POST cut off, no answer journaled) is sent again on resume', async (t) => {
  const { server, input, journalPath, journal } = await stopWhileBatch2IsOnTheWire(t, 2000, true);
  t.deepEqual(batchesInPhase(journal, 'in-doubt'), [2]);

  const resumedEvents = new EventEmitter<UploadEvents>();
  const submitted: number[] = [];
  resumedEvents.on('batch-submitting', (event) => submitted.push(event.seq));
  const report = await runUpload(fastRun(server, input, { journalPath, events: resumedEvents, concurrency: 1 }), context());
  t.deepEqual(submitted, [2, 3]);
  t.is(report.outcome, 'complete');
});

test('a graceful stop lets the call on the wire finish and journals its answer: nothing is in doubt', async (t) => {
  const { journal } = await stopWhileBatch2IsOnTheWire(t, 300, false);
  t.deepEqual(batchesInPhase(journal, 'in-doubt'), []);
  t.is(journal.batches.get(2)?.phase, 'accepted');
  t.false(journal.batches.has(3), 'no new batch started after the stop');
});

test('resume refuses a changed input (RESUME_MISMATCH) and sends nothing', async (t) => {
  const { server, input, journalPath } = await journaledRun(t, 25);
  const stop = new AbortController();
  const events = new EventEmitter<UploadEvents>();
  events.on('batch-accepted', () => stop.abort(new Error('stop')));
  await t.throwsAsync(runUpload(fastRun(server, input, { journalPath, concurrency: 1, events }), context(stop.signal)));
  const before = batchPosts(server);

  await writeFile(input, exportCsv(25, () => 'platinum'));
  await t.throwsAsync(runUpload(fastRun(server, input, { journalPath }), context()), { code: ErrorCode.RESUME_MISMATCH });
  t.is(batchPosts(server), before);
});

test('resume refuses a changed configuration (batch size) with RESUME_MISMATCH', async (t) => {
  const { server, input, journalPath } = await journaledRun(t, 25);
  await runUpload(fastRun(server, input, { journalPath, wait: false }), context());
  await t.throwsAsync(runUpload(fastRun(server, input, { journalPath, batch: { maxRows: 7 } }), context()), { code: ErrorCode.RESUME_MISMATCH });
});

test('an edit past the fingerprinted head that keeps the size is caught by the batch digest', async (t) => {
  const { server, input, journalPath } = await journaledRun(t, 25);
  await runUpload(fastRun(server, input, { journalPath, wait: false }), context());
  // Forge the journal's fingerprint to match the edited file, as an edit beyond the first MiB would.
  const text = await readFile(input, 'utf8');
  await writeFile(input, text.replace('City 23', 'Town 23'));
  const { fingerprintInput } = await import('@bulkpipe/core');
  const print = await fingerprintInput(input);
  const journal = (await readFile(journalPath, 'utf8')).split('\n');
  const start = JSON.parse(journal[0] as string) as { inputs: unknown[] };
  start.inputs = [print];
  journal[0] = JSON.stringify(start);
  await writeFile(journalPath, journal.join('\n'));
  const error = await t.throwsAsync<BulkpipeError>(runUpload(fastRun(server, input, { journalPath }), context()), { code: ErrorCode.RESUME_MISMATCH });
  t.is(error?.context.batchSeq, 3);
});

test('a finished journal resumes into a no-op: nothing is sent again', async (t) => {
  const { server, input, journalPath } = await journaledRun(t, 25);
  await runUpload(fastRun(server, input, { journalPath }), context());
  const before = batchPosts(server);
  const report = await runUpload(fastRun(server, input, { journalPath }), context());
  t.is(batchPosts(server), before);
  t.is(report.outcome, 'complete');
  t.is(report.totals.resumed, 3);
});
