import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { parseRecords } from '../src/parse/index.js';
import { RunContext } from '../src/run-context.js';

test('an already aborted signal stops before reading', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('user cancelled'));
  const ctx = new RunContext({ signal: controller.signal });
  const error = await t.throwsAsync(parseRecords(new PassThrough(), {}, ctx).next(), { code: ErrorCode.ABORTED });
  t.is((error?.cause as Error).message, 'user cancelled');
});

test('abort while a read is pending (an idle stdin-like stream) rejects at once', async (t) => {
  const controller = new AbortController();
  const ctx = new RunContext({ signal: controller.signal });
  const idle = new PassThrough();
  idle.write('id,name\n1,a\n');
  const records = parseRecords(idle, {}, ctx);
  const pending = records.next();
  setTimeout(() => controller.abort(), 20);
  await t.throwsAsync(pending, { code: ErrorCode.ABORTED });
  t.true(idle.destroyed, 'the source stream is ended');
});

test('abort mid-file stops reading and closes the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-parse-abort-'));
  const path = join(dir, 'big.csv');
  writeFileSync(path, `id,name\n${'1,abcdefghij\n'.repeat(200_000)}`);
  const controller = new AbortController();
  const ctx = new RunContext({ signal: controller.signal });
  let arrays = 0;
  const error = await t.throwsAsync(async () => {
    for await (const _array of parseRecords(path, {}, ctx)) {
      arrays++;
      if (arrays === 2) controller.abort();
    }
  });
  t.is((error as { code?: string }).code, ErrorCode.ABORTED);
  t.true(ctx.counters.bytesRead < 2_600_000 / 2, `read ${ctx.counters.bytesRead} bytes`);
});
