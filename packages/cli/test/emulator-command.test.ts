/**
 * `bulkpipe emulator` through a tiny yargs harness (the lead registers the command in bin.ts): a child
 * process, as a user runs it, driven by raw HTTP and stopped by a signal.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const COMMAND = fileURLToPath(new URL('../src/commands/emulator.ts', import.meta.url));
const HARNESS = `
import yargs from 'yargs';
const { emulatorCommand } = await import(process.env.EMULATOR_COMMAND);
await yargs(process.argv.slice(1)).command(emulatorCommand).strict().fail((message, error) => { if (error) throw error; process.stderr.write(message + '\\n'); process.exit(2); }).parseAsync();
`;

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function runEmulator(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', HARNESS, 'emulator', ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, EMULATOR_COMMAND: COMMAND },
  });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline !== -1) resolve({ child, url: stdout.slice(0, newline), stderr: () => stderr, exit });
    });
    void exit.then((code) => reject(new Error(`emulator exited ${code} before printing its URL: ${stderr}`)));
  });
}

test('prints its loopback base URL on one line, serves Target calls, stops cleanly on SIGTERM', async (t) => {
  const running = await runEmulator(['--rate-limit', '2', '--processing-delay-ms', '0']);
  t.regex(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const post = (): Promise<Response> => fetch(`${running.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', body: 'batch=thirdPartyId,a\nc-1,1' });
  t.is((await post()).status, 200);
  t.is((await post()).status, 200);
  t.is((await post()).status, 503);
  running.child.kill('SIGTERM');
  t.is(await running.exit, 0);
  t.regex(running.stderr(), /POST \/m2\/acme\/v2\/profile\/batchUpdate 503/);
});

test('--require-auth with --token-file writes a token (mode 600) that is never printed; SIGINT stops it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-emulator-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  const running = await runEmulator(['--require-auth', '--client', 'acme', '--token-file', tokenFile, '--db', join(dir, 'state.db'), '--fault', 'latency:ms=1']);
  const token = readFileSync(tokenFile, 'utf8').trim();
  t.is(statSync(tokenFile).mode & 0o777, 0o600);
  const url = `${running.url}/m2/acme/v2/profile/batchUpdate`;
  t.is((await fetch(url, { method: 'POST', body: 'batch=thirdPartyId,a\nc-1,1' })).status, 403);
  t.is((await fetch(url, { method: 'POST', body: 'batch=thirdPartyId,a\nc-1,1', headers: { Authorization: `Bearer ${token}` } })).status, 200);
  running.child.kill('SIGINT');
  t.is(await running.exit, 0);
  t.false(running.stderr().includes(token));
});

test('a bad fault spec is a usage error (exit 2) before anything listens', async (t) => {
  const error = await t.throwsAsync(runEmulator(['--fault', 'meteor']));
  t.regex(error!.message, /exited 2/);
  t.regex(error!.message, /BULKPIPE_INVALID_OPTION/);
});

test('binding a non-loopback address warns', async (t) => {
  const running = await runEmulator(['--host', '0.0.0.0', '--quiet']);
  running.child.kill('SIGTERM');
  t.is(await running.exit, 0);
  t.regex(running.stderr(), /warning: binding 0\.0\.0\.0, not loopback/);
});
