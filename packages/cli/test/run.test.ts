import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '@bulkpipe/emulator';
import type { RunningEmulator } from '@bulkpipe/emulator';
import { writeSampleExport } from '@bulkpipe/transforms';
import { runCli, tempDir } from './run-cli.js';

const CLIENT = 'acme';
let emulator: RunningEmulator;
let token: string;
let dir: string;
let input: string;

test.before(async () => {
  emulator = await startEmulator({ settings: { requireAuth: true, processingDelayMs: 0 } });
  token = emulator.generateToken(CLIENT).token;
  dir = tempDir();
  input = join(dir, 'export.csv');
  await writeSampleExport(input, { rows: 4000, seed: 7 });
  writeFileSync(join(dir, 'token'), `${token}\n`, { mode: 0o600 });
});

test.after.always(async () => {
  await emulator.close();
});

const targetArgs = (): string[] => ['--client', CLIENT, '--endpoint', emulator.url, '--token-file', join(dir, 'token')];

/** Every file under a directory, as text. */
function filesUnder(path: string): { name: string; text: string }[] {
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ name: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'latin1') }));
}

test.serial('run uploads every batch, waits until complete, and status and verify read its journal', async (t) => {
  const out = join(dir, 'out-run');
  const journal = join(dir, 'run.journal');
  const run = await runCli(['run', input, '--id-column', 'customer_id', '--max-rows', '1000', '--journal', journal, '--out', out, ...targetArgs()]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /books balance/);
  t.regex(run.stderr, /outcome: complete/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { upload: { outcome: string; batches: { state: string }[] } };
  t.is(report.upload.outcome, 'complete');
  t.true(report.upload.batches.length >= 4);
  t.true(report.upload.batches.every((batch) => batch.state === 'complete'));

  const status = await runCli(['status', journal, '--token-file', join(dir, 'token')]);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stderr, /#1 complete/);
  const verify = await runCli(['verify', journal, '--sample', '30', '--token-file', join(dir, 'token')]);
  t.is(verify.code, 0, verify.stderr);
  t.regex(verify.stderr, /verified 30 of \d+ sampled profiles: 30 match, 0 differ/);

  // The token is in none of the outputs: stdout, stderr, journal, report, rejects, failed lines.
  for (const output of [run.stdout, run.stderr, status.stdout, status.stderr, verify.stdout, verify.stderr]) t.false(output.includes(token));
  for (const file of [...filesUnder(out), { name: journal, text: readFileSync(journal, 'latin1') }]) t.false(file.text.includes(token), file.name);
});

test.serial('fetch prints a sent profile as JSON and exits 1 for an unknown id', async (t) => {
  const found = await runCli(['fetch', 'c-nobody-has-this', ...targetArgs()]);
  t.is(found.code, 1);
  t.regex(found.stderr, /No profile found for client acme/);
});

test.serial('--dry-run builds the plan and sends nothing', async (t) => {
  const before = emulator.calls().length;
  const run = await runCli(['run', input, '--id-column', 'customer_id', '--dry-run', '--out', join(dir, 'out-dry'), ...targetArgs()]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /outcome: dry-run/);
  t.is(emulator.calls().length, before);
});

test.serial('a rotated token stops the run at once with exit 2 and a message about the token, never the token', async (t) => {
  const staleFile = join(dir, 'stale-token');
  writeFileSync(staleFile, token, { mode: 0o600 });
  token = emulator.generateToken(CLIENT).token; // invalidates the old one, as Target does
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  const run = await runCli(['run', input, '--id-column', 'customer_id', '--out', join(dir, 'out-403'), '--client', CLIENT, '--endpoint', emulator.url, '--token-file', staleFile]);
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /token/i);
  t.false(run.stderr.includes(readFileSync(staleFile, 'utf8')));
  t.false(run.stdout.includes(readFileSync(staleFile, 'utf8')));
});

test.serial('a missing --client and an unreadable token file are usage errors', async (t) => {
  const noClient = await runCli(['run', input, '--id-column', 'customer_id']);
  t.is(noClient.code, 2);
  t.regex(noClient.stderr, /client/);
  const noToken = await runCli(['run', input, '--id-column', 'customer_id', '--client', CLIENT, '--token-file', join(dir, 'missing-token')]);
  t.is(noToken.code, 2);
  t.regex(noToken.stderr, /Cannot read --token-file .*ENOENT/);
});

test.serial('demo runs the whole job on a small generated export', async (t) => {
  const out = join(tempDir(), 'demo');
  const demo = await runCli(['demo', '--rows', '3000', '--max-rows', '1000', '--out', out]);
  t.is(demo.code, 0, demo.stderr);
  t.regex(demo.stderr, /read 3,000 = rejected [\d,]+ \+ merged [\d,]+ \+ sent [\d,]+ {2}books balance/);
  t.regex(demo.stderr, /Target \(v2\): \d+ batches — \d+ complete/);
  t.regex(demo.stderr, /verified \d+ sampled profiles by fetching them back: (\d+) match, 0 differ/);
});
