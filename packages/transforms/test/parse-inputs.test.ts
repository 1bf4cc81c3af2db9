import { spawnSync } from 'node:child_process';
import { chmodSync, createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import type { InputRecord } from '@bulkpipe/core';
import { createParseStep, parseInput } from '../src/parse/index.js';
import { stepToStream } from '../src/step-stream.js';
import { RunContext } from '../src/run-context.js';
import { chunked, parseAll } from './fixtures/parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-parse-inputs-'));
const csv = 'id,city\n1,Zürich\n2,"a,b"\n';
const expected = [
  { id: '1', city: 'Zürich' },
  { id: '2', city: 'a,b' },
];

test('a file path: records carry the path as source; bytesRead counts every byte', async (t) => {
  const path = join(dir, 'input.csv');
  writeFileSync(path, csv);
  const { records, ctx } = await parseAll(path);
  t.deepEqual(
    records.map((record) => record.fields),
    expected,
  );
  t.true(records.every((record) => record.source === path));
  t.is(ctx.counters.bytesRead, Buffer.byteLength(csv));
  t.is(ctx.counters.read, 2);
});

test('sourceLabel overrides the label', async (t) => {
  const path = join(dir, 'labelled.csv');
  writeFileSync(path, csv);
  const { records } = await parseAll(path, { sourceLabel: 'crm-export' });
  t.is(records[0]?.source, 'crm-export');
});

test('a Readable of bytes, a Readable of strings, and an async iterable are inputs; their label is "stream"', async (t) => {
  const bytes = await parseAll(Readable.from([Buffer.from(csv)], { objectMode: false }));
  const strings = Readable.from(chunked(csv, 3)).setEncoding('utf8');
  const text = await parseAll(strings);
  const iterable = await parseAll(chunked(csv, 5));
  for (const outcome of [bytes, text, iterable]) {
    t.deepEqual(
      outcome.records.map((record) => record.fields),
      expected,
    );
    t.is(outcome.records[0]?.source, 'stream');
  }
});

test("'-' reads stdin and is labelled stdin", (t) => {
  const script = fileURLToPath(new URL('./fixtures/parse/stdin-parse.ts', import.meta.url));
  const result = spawnSync(process.execPath, ['--import=tsx', script], { input: csv, encoding: 'utf8' });
  t.is(result.status, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), { records: expected, source: 'stdin' });
});

test('a directory is INPUT_UNREADABLE saying so', async (t) => {
  const error = await t.throwsAsync(parseAll(dir), { code: ErrorCode.INPUT_UNREADABLE });
  t.regex(error?.message ?? '', /is a directory|it is a directory/);
  t.true(error?.message.includes(dir));
});

test('a missing file is INPUT_UNREADABLE with the path and the OS reason', async (t) => {
  const path = join(dir, 'missing.csv');
  const error = await t.throwsAsync(parseAll(path), { code: ErrorCode.INPUT_UNREADABLE });
  t.is(error?.message, `Cannot read input ${path}: no such file or directory (ENOENT).`);
});

test('an unreadable file is INPUT_UNREADABLE (permission denied)', async (t) => {
  if (process.getuid?.() === 0) {
    t.pass('running as root: file permissions do not apply');
    return;
  }
  const path = join(dir, 'secret.csv');
  writeFileSync(path, csv);
  chmodSync(path, 0o000);
  await t.throwsAsync(parseAll(path), { code: ErrorCode.INPUT_UNREADABLE, message: /permission denied \(EACCES\)/ });
});

test('records come in arrays of recordsPerChunk', async (t) => {
  const rows = Array.from({ length: 5000 }, (_, i) => `${i},c${i}`).join('\n');
  const { arrayLengths } = await parseAll(chunked(`id,city\n${rows}\n`, 4096), { recordsPerChunk: 1000 });
  t.is(
    arrayLengths.reduce((a, b) => a + b, 0),
    5000,
  );
  t.deepEqual(arrayLengths, [1000, 1000, 1000, 1000, 1000]);
});

test('parseInput is an object-mode Readable of record arrays for pipeline()', async (t) => {
  const ctx = new RunContext();
  const seen: InputRecord[] = [];
  await pipeline(
    parseInput(chunked(csv, 4), {}, ctx),
    new Writable({
      objectMode: true,
      write(array: InputRecord[], _encoding, callback) {
        seen.push(...array);
        callback();
      },
    }),
  );
  t.deepEqual(
    seen.map((record) => record.fields),
    expected,
  );
});

test('parseInput throws invalid options at once, not as a stream error', (t) => {
  t.throws(() => parseInput(new PassThrough(), { delimiter: 'ab' }, new RunContext()), { code: ErrorCode.INVALID_OPTION });
});

test('backpressure: a consumer that stops pulling stops the reading', async (t) => {
  let produced = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('id,name\n');
    for (;;) {
      produced++;
      yield Buffer.from('1,abcdefghij\n'.repeat(5000)); // ~65 KB, 5000 records
    }
  }
  const stream = parseInput(source(), {}, new RunContext());
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next();
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.true(produced <= 4, `read ${produced} chunks ahead`);
  stream.destroy();
});

test('the step alone works in a pipeline through the shared adapter, counting bytes itself', async (t) => {
  const path = join(dir, 'step.csv');
  writeFileSync(path, csv);
  const ctx = new RunContext();
  const seen: InputRecord[] = [];
  await pipeline(
    createReadStream(path, { highWaterMark: 5 }),
    stepToStream(createParseStep({ sourceLabel: 'step.csv' }, ctx)),
    new Writable({
      objectMode: true,
      write(array: InputRecord[], _encoding, callback) {
        seen.push(...array);
        callback();
      },
    }),
  );
  t.deepEqual(
    seen.map((record) => [record.source, record.line, record.fields]),
    [
      ['step.csv', 2, expected[0]],
      ['step.csv', 3, expected[1]],
    ],
  );
  t.is(ctx.counters.bytesRead, Buffer.byteLength(csv));
});
