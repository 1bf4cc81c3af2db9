import test from 'ava';
import { mkdtemp, readFile, rm, writeFile, appendFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { JournalWriter } from '../src/journal/journal-writer.js';
import { batchesInPhase, checkBatchDigest, checkResume, readJournal, replayJournal } from '../src/journal/journal-reader.js';
import { configurationHash, fingerprintInput } from '../src/journal/fingerprint.js';
import { ManualTime } from '../src/retry/manual-time.js';
import type { JournalEntry } from '../src/journal/records.js';

const SENTINEL = 'tok-SENTINEL-9f8e7d6c5b4a';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkpipe-journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const origin = (line: number) => ({ source: 'in.csv', line });
const built = (seq: number, sha256 = `sha-${seq}`): JournalEntry => ({ type: 'batch-built', seq, sha256, rows: 10, bytes: 100, firstLine: origin(seq * 10), lastLine: origin(seq * 10 + 9) });
const start: JournalEntry = { type: 'run-start', runId: 'r1', configHash: 'sha256:abc', inputs: [] };

/** A journal covering every batch phase: 1 done, 2 accepted, 3 in doubt, 4 failed, 5 built only. */
const everyPhase: JournalEntry[] = [
  start,
  built(1),
  built(2),
  built(3),
  built(4),
  built(5),
  { type: 'submitting', seq: 1, attempt: 1 },
  { type: 'submitted', seq: 1, batchId: 'acme-1', statusUrl: 'http://edge/s?batchId=acme-1' },
  { type: 'submitting', seq: 2, attempt: 1 },
  { type: 'submit-failed', seq: 2, code: ErrorCode.TARGET_HTTP_STATUS, message: 'HTTP 503', statusCode: 503 },
  { type: 'submitting', seq: 2, attempt: 2 },
  { type: 'submitted', seq: 2, batchId: 'acme-2', statusUrl: 'http://edge/s?batchId=acme-2' },
  { type: 'status', seq: 1, status: 'incomplete', counts: {}, failedIds: [] },
  { type: 'status', seq: 1, status: 'complete', counts: { batchSize: 10, successfulUpdates: 9, failedUpdates: 1 }, failedIds: ['c-17'] },
  { type: 'status', seq: 2, status: 'incomplete', counts: {}, failedIds: [] },
  { type: 'submitting', seq: 3, attempt: 1 },
  { type: 'submitting', seq: 4, attempt: 1 },
  { type: 'submit-failed', seq: 4, code: ErrorCode.TARGET_REJECTED, message: 'Target refused the batch: Unexpected error' },
];

async function writeJournal(path: string, entries: readonly JournalEntry[], options = {}): Promise<void> {
  const writer = await JournalWriter.open(path, { fsync: false, ...options });
  for (const entry of entries) await writer.append(entry);
  await writer.close();
}

test('replay puts every batch in its phase: done, accepted, in doubt, failed, built', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  await writeJournal(path, everyPhase);
  const replay = await readJournal(path);
  t.is(replay.runs, 1);
  t.is(replay.tornTail, undefined);
  t.deepEqual([...replay.batches.values()].map((b) => [b.seq, b.phase]), [[1, 'done'], [2, 'accepted'], [3, 'in-doubt'], [4, 'failed'], [5, 'built']]);
  t.deepEqual(batchesInPhase(replay, 'built', 'in-doubt', 'failed'), [3, 4, 5]);
  const two = replay.batches.get(2);
  t.is(two?.statusUrl, 'http://edge/s?batchId=acme-2');
  t.is(two?.batchId, 'acme-2');
  t.is(two?.attempts, 2);
  t.is(two?.failures.length, 1);
  t.deepEqual(replay.batches.get(1)?.lastStatus?.failedIds, ['c-17']);
  t.false(replay.finished);
});

test('a run-end after every batch is done or accepted marks the journal finished; a resume reopens it', (t) => {
  const lines = (entries: object[]): string =>
    entries.map((e) => JSON.stringify({ at: 'x', journalVersion: 1, ...e })).join('\n') + '\n';
  const base = [start, built(1), { type: 'submitted', seq: 1, statusUrl: 'http://e/s' }];
  t.true(replayJournal(lines([...base, { type: 'run-end', outcome: 'submitted' }])).finished);
  t.false(replayJournal(lines([...base, { type: 'run-end', outcome: 'aborted' }])).finished);
  const resumed = replayJournal(lines([...base, { type: 'run-end', outcome: 'complete' }, { ...start, runId: 'r2', resumed: true }]));
  t.is(resumed.runs, 2);
  t.is(resumed.runEnd, undefined);
  t.false(resumed.finished);
  t.is(resumed.runStart.runId, 'r1');
});

test('regression: a torn last line after a crash is ignored and reported, and the writer cuts it before appending', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  await writeJournal(path, everyPhase.slice(0, 8));
  await appendFile(path, '{"type":"submitted","at":"2026-11-28T1');
  const replay = await readJournal(path);
  t.deepEqual(replay.tornTail, { line: 9, bytes: Buffer.byteLength('{"type":"submitted","at":"2026-11-28T1') });
  t.is(replay.records.length, 8);

  const writer = await JournalWriter.open(path, { fsync: false });
  t.true(writer.opened.tornBytesRemoved > 0);
  await writer.append({ type: 'submitting', seq: 2, attempt: 1 });
  await writer.close();
  const again = await readJournal(path);
  t.is(again.tornTail, undefined);
  t.is(again.records.length, 9);
  t.is(again.batches.get(2)?.phase, 'in-doubt');
});

test('a whole last record that only lost its newline is kept, by the reader and by the writer', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  await writeJournal(path, everyPhase.slice(0, 7));
  await appendFile(path, JSON.stringify({ type: 'submitted', at: 'x', seq: 1, statusUrl: 'http://e/s?batchId=1' }));
  t.is((await readJournal(path)).batches.get(1)?.phase, 'accepted');
  const writer = await JournalWriter.open(path, { fsync: false });
  t.is(writer.opened.tornBytesRemoved, 0);
  await writer.append({ type: 'run-end', outcome: 'aborted' });
  await writer.close();
  const replay = await readJournal(path);
  t.is(replay.batches.get(1)?.phase, 'accepted');
  t.is(replay.runEnd?.outcome, 'aborted');
});

test('damage before the last line is JOURNAL_CORRUPT with its line number', (t) => {
  const good = JSON.stringify({ type: 'run-start', at: 'x', journalVersion: 1, runId: 'r', configHash: 'h', inputs: [] });
  const cases: Array<[string, RegExp]> = [
    [`${good}\n{"type":"batch-bu\n${good}\n`, /line 2: not a journal record/],
    [`${good}\n\n${good}\n`, /line 2: an empty line/],
    [`${JSON.stringify({ type: 'batch-built', seq: 1, sha256: 's' })}\n`, /line 1: the journal does not begin with a run-start/],
    [`${good}\n${JSON.stringify({ type: 'submitted', seq: 7, statusUrl: 'u' })}\n`, /line 2: a submitted record for batch 7, which was never built/],
    [`${good}\n${JSON.stringify({ type: 'mystery' })}\n`, /line 2/],
    [`${good.replace('"journalVersion":1', '"journalVersion":9')}\n`, /newer than this bulkpipe/],
    ['', /empty/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => replayJournal(text));
    t.true(isBulkpipeError(error, ErrorCode.JOURNAL_CORRUPT));
    t.regex((error as Error).message, message);
  }
});

test('records are stamped by the injected clock, one JSON object per line, type first', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  const time = new ManualTime(Date.parse('2026-11-28T18:00:00.000Z'));
  await writeJournal(path, [start, built(1)], { clock: time });
  const lines = (await readFile(path, 'utf8')).split('\n');
  t.is(lines.length, 3);
  t.is(lines[2], '');
  t.true(lines[0]?.startsWith('{"type":"run-start","at":"2026-11-28T18:00:00.000Z","journalVersion":1,'));
  t.deepEqual(JSON.parse(lines[1] as string), { ...built(1), at: '2026-11-28T18:00:00.000Z' });
});

test('appends keep call order even when callers do not await each other', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  const writer = await JournalWriter.open(path);
  await writer.append(start);
  await Promise.all(Array.from({ length: 50 }, (_, i) => writer.append(built(i + 1))));
  await writer.close();
  const replay = await readJournal(path);
  t.deepEqual([...replay.batches.keys()], Array.from({ length: 50 }, (_, i) => i + 1));
  t.deepEqual(replay.records.slice(1).map((r) => (r as { seq: number }).seq), Array.from({ length: 50 }, (_, i) => i + 1));
});

test('the token never reaches the journal, even inside a message that quotes it', async (t) => {
  const path = join(await tempDir(t), 'run.journal');
  await writeJournal(path, [start, built(1), { type: 'submit-failed', seq: 1, code: ErrorCode.TARGET_HTTP_STATUS, message: `proxy echoed: Authorization: Bearer ${SENTINEL}` }], { secrets: [SENTINEL] });
  const text = await readFile(path, 'utf8');
  t.false(text.includes(SENTINEL));
  t.true(text.includes('[redacted]'));
  t.is((await readJournal(path)).batches.get(1)?.phase, 'failed');
});

test('configurationHash is canonical (key order does not matter) and drops secrets', (t) => {
  const a = configurationHash({ idColumn: 'id', apiVersion: 'v2', caps: { maxBytes: 10, maxRows: 5 }, token: SENTINEL });
  const b = configurationHash({ caps: { maxRows: 5, maxBytes: 10 }, apiVersion: 'v2', idColumn: 'id', token: 'another' });
  t.is(a, b);
  t.is(configurationHash({ endpoint: { apiKey: 'x', clientSecret: 'y', password: 'z' } }), configurationHash({ endpoint: {} }));
  t.is(a, configurationHash({ apiVersion: 'v2', idColumn: 'id', caps: { maxBytes: 10, maxRows: 5 } }));
  t.not(a, configurationHash({ apiVersion: 'v1', idColumn: 'id', caps: { maxBytes: 10, maxRows: 5 } }));
  t.regex(a, /^sha256:[0-9a-f]{64}$/);
});

test('resume refuses a changed configuration or input, accepts a touched file, and checks batch digests', async (t) => {
  const dir = await tempDir(t);
  const input = join(dir, 'in.csv');
  await writeFile(input, 'id,a\n1,x\n2,y\n');
  const fingerprint = await fingerprintInput(input);
  t.is(fingerprint.size, 13);
  t.is(fingerprint.headBytes, 13);
  const path = join(dir, 'run.journal');
  await writeJournal(path, [{ type: 'run-start', runId: 'r1', configHash: 'sha256:cfg', inputs: [fingerprint] }, built(1, 'aaa')]);
  const replay = await readJournal(path);

  await utimes(input, new Date(), new Date(Date.now() + 60_000));
  t.notThrows(() => checkResume(replay, { configHash: 'sha256:cfg', inputs: [fingerprint] }));
  const touched = await fingerprintInput(input);
  t.notThrows(() => checkResume(replay, { configHash: 'sha256:cfg', inputs: [touched] }));

  const configChanged = t.throws(() => checkResume(replay, { configHash: 'sha256:other', inputs: [touched] }));
  t.true(isBulkpipeError(configChanged, ErrorCode.RESUME_MISMATCH));
  t.regex((configChanged as Error).message, /configuration/);

  await writeFile(input, 'id,a\n1,x\n2,z\n');
  const edited = t.throws(() => checkResume(replay, { configHash: 'sha256:cfg', inputs: [fingerprintSync(touched, 'other')] }));
  t.regex((edited as Error).message, /content changed/);
  const grown = await fingerprintInput(input).then((f) => ({ ...f, size: 99 }));
  t.regex(t.throws(() => checkResume(replay, { configHash: 'sha256:cfg', inputs: [grown] }))?.message ?? '', /size 13 → 99/);

  t.notThrows(() => checkBatchDigest(replay, 1, 'aaa'));
  t.notThrows(() => checkBatchDigest(replay, 2, 'new batch, never journaled'));
  t.true(isBulkpipeError(t.throws(() => checkBatchDigest(replay, 1, 'bbb')), ErrorCode.RESUME_MISMATCH));
});

function fingerprintSync<T extends { headSha256: string }>(f: T, headSha256: string): T {
  return { ...f, headSha256 };
}

test('fingerprintInput hashes only the first MiB', async (t) => {
  const dir = await tempDir(t);
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  const head = Buffer.alloc(1024 * 1024, 0x61);
  await writeFile(a, Buffer.concat([head, Buffer.from('tail-one')]));
  await writeFile(b, Buffer.concat([head, Buffer.from('tail-two')]));
  const [fa, fb] = await Promise.all([fingerprintInput(a), fingerprintInput(b)]);
  t.is(fa.headBytes, 1024 * 1024);
  t.is(fa.headSha256, fb.headSha256);
  t.is(fa.size, fb.size);
  const missing = await t.throwsAsync(fingerprintInput(join(dir, 'nope.csv')));
  t.true(isBulkpipeError(missing, ErrorCode.INPUT_UNREADABLE));
});
