import test from 'ava';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ErrorCode, readJournal } from '@bulkpipe/core';
import { runUpload } from '../src/assemble/upload-run.js';
import type { UploadEvents } from '../src/upload/upload-events.js';
import { CLIENT, context, emulator, fastRun, tempDir, writeExport } from './upload-helpers.js';

function recordAll(events: EventEmitter<UploadEvents>): string[] {
  const seen: string[] = [];
  for (const name of ['batch-submitting', 'batch-accepted', 'batch-failed', 'retry-scheduled', 'rate-limited', 'batch-status'] as const) {
    events.on(name, (payload: unknown) => seen.push(`${name} ${JSON.stringify(payload)}`));
  }
  return seen;
}

test('a 403 after the token was rotated stops the whole run at once with TARGET_AUTH and the token message', async (t) => {
  const server = await emulator({ clients: { [CLIENT]: { requireAuth: true } } });
  t.teardown(() => server.close());
  const { token } = server.generateToken(CLIENT);
  const dir = await tempDir();
  const input = await writeExport(dir, 55);
  const journalPath = join(dir, 'run.journal');
  const events = new EventEmitter<UploadEvents>();
  events.on('batch-accepted', (event) => {
    if (event.seq === 1) server.generateToken(CLIENT); // someone generated a new token: the old one stops working
  });
  const error = await t.throwsAsync(runUpload(fastRun(server, input, { token, journalPath, concurrency: 1, events, status: { initialDelayMs: 10_000 } }), context()), {
    code: ErrorCode.TARGET_AUTH,
  });
  t.regex(error?.message ?? '', /rotated|expired/);
  const posts = server.calls().filter((call) => call.endpoint.startsWith('batchUpdate'));
  t.deepEqual(posts.map((call) => call.status), [200, 403], 'nothing more was sent after the 403');
  const replay = await readJournal(journalPath);
  t.is(replay.runEnd?.outcome, 'failed');
  t.is(replay.batches.get(1)?.phase, 'accepted');
  t.is(replay.batches.get(2)?.phase, 'failed');
});

test('a 403 on a status poll stops the submissions too', async (t) => {
  // Only the poll is refused: the submissions alone would all go through.
  const server = await emulator({ faults: [{ kind: 'status', endpoint: 'batchStatus', statusCode: 403, times: 1 }, { kind: 'latency', endpoint: 'batchUpdate', latencyMs: 100, skip: 1 }] });
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = await writeExport(dir, 95);
  await t.throwsAsync(runUpload(fastRun(server, input, { concurrency: 1, status: { initialDelayMs: 1 } }), context()), { code: ErrorCode.TARGET_AUTH });
  const posts = server.calls().filter((call) => call.endpoint.startsWith('batchUpdate'));
  t.true(posts.length < 10, `stopped early (${posts.length} of 10 batches posted)`);
});

test('the token never appears in the journal, events, failed.csv, the report or errors', async (t) => {
  const server = await emulator({ clients: { [CLIENT]: { requireAuth: true } } });
  t.teardown(() => server.close());
  const { token } = server.generateToken(CLIENT);
  // A server that echoes the token into a refusal, a 500 and a status answer.
  server.addFault({ kind: 'status', endpoint: 'batchUpdate', statusCode: 200, times: 1, body: `<response><success>false</success><message>bad token ${token}</message></response>` });
  server.addFault({ kind: 'status', endpoint: 'batchUpdate', statusCode: 500, times: 1, body: `Authorization: Bearer ${token}` });
  server.addFault({ kind: 'status', endpoint: 'batchStatus', statusCode: 502, times: 1, body: `echo ${token}` });
  const dir = await tempDir();
  const input = await writeExport(dir, 35);
  const journalPath = join(dir, 'run.journal');
  const failedCsvPath = join(dir, 'failed.csv');
  const events = new EventEmitter<UploadEvents>();
  const seen = recordAll(events);
  const report = await runUpload(fastRun(server, input, { token, journalPath, failedCsvPath, events, concurrency: 1 }), context());
  t.is(report.batches[0]?.state, 'failed', 'the refusal echoing the token was reported');

  // Then a rotated token: the fatal error must not carry it either.
  server.generateToken(CLIENT);
  const error = await t.throwsAsync(runUpload(fastRun(server, input, { token, journalPath: join(dir, 'second.journal'), events }), context()));

  const outputs = [
    await readFile(journalPath, 'utf8'),
    await readFile(join(dir, 'second.journal'), 'utf8'),
    await readFile(failedCsvPath, 'utf8'),
    JSON.stringify(report),
    inspect(report, { depth: null }),
    seen.join('\n'),
    inspect(error, { depth: null }),
    String(error?.stack),
    JSON.stringify(error),
  ];
  t.true(seen.length > 0);
  for (const [i, output] of outputs.entries()) t.false(output.includes(token), `output ${i} holds the token`);
});
