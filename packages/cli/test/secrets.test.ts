/**
 * Secrets and exposure (issue 6): a full `bulkpipe run` with a sentinel token through faults whose answers
 * echo the request headers (Authorization included) must leave the token in zero bytes of stdout, stderr,
 * `--json` events, the journal, report.json, rejects.csv, failed.csv, split's batch files and every error
 * message; `status` and `verify` likewise. TLS certificates are verified: a self-signed endpoint is refused
 * before any request reaches it, and no source disables verification.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startEmulator } from '@bulkpipe/emulator';
import { writeSampleExport } from '@bulkpipe/transforms';
import { runCli, tempDir } from './run-cli.js';
import type { CliResult } from './run-cli.js';

const CLIENT = 'acme';

/** Every file under a directory, as bytes read as latin1 (a token in any encoding-safe form shows up). */
function filesUnder(path: string): { name: string; text: string }[] {
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ name: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'latin1') }));
}

/** Where the token (or a 16-character piece of it) shows up; [] when nowhere. */
function leaks(token: string, outputs: { name: string; text: string }[]): string[] {
  const pieces = [token, token.slice(0, 16), token.slice(-16)];
  return outputs.filter((output) => pieces.some((piece) => output.text.includes(piece))).map((output) => output.name);
}

function outputsOf(name: string, result: CliResult): { name: string; text: string }[] {
  return [
    { name: `${name} stdout`, text: result.stdout },
    { name: `${name} stderr`, text: result.stderr },
  ];
}

test('a full run through header-echoing faults leaves the token in no output, file or error; status and verify too', async (t) => {
  const emulator = await startEmulator({
    settings: { requireAuth: true, processingDelayMs: 0, rateLimitCalls: 0 },
    faults: [
      // proxies that quote the request headers into their error pages, on every kind of call; `skip` gives
      // each its own submission (every matching rule counts a call, even when another one answers it)
      { kind: 'status', endpoint: 'batchUpdate', statusCode: 400, echoHeaders: true, times: 1 },
      { kind: 'status', endpoint: 'batchUpdate', statusCode: 200, skip: 1, times: 1, body: '<response><success>false</success><message>Unexpected error</message></response>' },
      { kind: 'status', endpoint: 'batchUpdate', statusCode: 502, echoHeaders: true, skip: 2, times: 1 },
      { kind: 'status', endpoint: 'batchUpdate', statusCode: 429, retryAfterSeconds: 0, echoHeaders: true, skip: 3, times: 1 },
      { kind: 'reset', endpoint: 'batchUpdate', when: 'after-body', skip: 4, times: 1 },
      { kind: 'status', endpoint: 'batchStatus', statusCode: 500, echoHeaders: true, times: 2 },
      { kind: 'status', endpoint: 'fetch', statusCode: 502, echoHeaders: true, times: 2 },
      { kind: 'drop-rows', fraction: 0.05 },
    ],
  });
  t.teardown(() => emulator.close());
  const token = emulator.generateToken(CLIENT).token;
  const dir = tempDir('bulkpipe-secrets-');
  const input = join(dir, 'export.csv');
  await writeSampleExport(input, { rows: 3000, seed: 11 });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const journal = join(dir, 'run.journal');
  const out = join(dir, 'out');

  const run = await runCli(['run', input, '--id-column', 'customer_id', '--max-rows', '500', '--client', CLIENT, '--endpoint', emulator.url, '--token-file', tokenFile, '--journal', journal, '--out', out, '--json', '--max-reject-rate', '10%']);
  // two batches failed for good (400, success=false): the run finishes, reports them and exits 1
  t.is(run.code, 1, run.stderr);
  const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
  t.true(events.some((event) => event.event === 'summary'));
  const report = readFileSync(join(out, 'report.json'), 'utf8');
  t.regex(report, /BULKPIPE_TARGET_REJECTED/);
  t.regex(report, /BULKPIPE_TARGET_HTTP_STATUS/);

  // status and verify read the journal and call Target with the same token, through echoing faults too
  const status = await runCli(['status', journal, '--token-file', tokenFile]);
  const verify = await runCli(['verify', journal, '--sample', '20', '--token-file', tokenFile]);
  t.deepEqual(
    emulator.faults().filter((fault) => fault.fired === 0).map((fault) => fault.id),
    [],
    'every fault, each header-echoing page included, answered at least once',
  );
  // split never needs a token: even with one in its environment, none of its files may hold it
  const splitOut = join(dir, 'split');
  const split = await runCli(['split', input, '--id-column', 'customer_id', '--max-rows', '500', '--out', splitOut], { env: { BULKPIPE_TOKEN: token } });
  t.is(split.code, 0, split.stderr);
  // a 403 whose page echoes the headers: the run stops (exit 2) and its message shows no token
  emulator.clearFaults();
  emulator.addFault({ kind: 'status', endpoint: 'batchUpdate', statusCode: 403, echoHeaders: true });
  const forbidden = await runCli(['run', input, '--id-column', 'customer_id', '--client', CLIENT, '--endpoint', emulator.url, '--out', join(dir, 'out-403'), '--json'], { env: { BULKPIPE_TOKEN: token } });
  t.is(forbidden.code, 2, forbidden.stderr);

  const outputs = [
    ...outputsOf('run', run),
    ...outputsOf('status', status),
    ...outputsOf('verify', verify),
    ...outputsOf('split', split),
    ...outputsOf('run 403', forbidden),
    { name: journal, text: readFileSync(journal, 'latin1') },
    ...filesUnder(out),
    ...filesUnder(join(dir, 'out-403')),
    ...filesUnder(splitOut),
  ];
  t.true(outputs.some((output) => output.name.endsWith('rejects.csv')) && outputs.some((output) => output.name.endsWith('failed.csv')));
  t.true(outputs.some((output) => output.name.endsWith('batch-00001.txt')));
  t.deepEqual(leaks(token, outputs), []);
  // the echoed pages did reach the client: the redaction, not luck, kept the token out
  t.regex(run.stdout + report, /\[redacted\]|Request headers/);
});

test('TLS certificates are verified: a self-signed endpoint is refused before any request reaches it', async (t) => {
  const dir = tempDir('bulkpipe-tls-');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  } catch {
    t.log('openssl is not available: no self-signed certificate to test with');
    t.pass();
    return;
  }
  let requests = 0;
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
    requests += 1;
    res.end('<response><success>true</success><batchStatus>https://127.0.0.1/x</batchStatus></response>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,tier\nc-1,gold\n');
  const { port } = server.address() as AddressInfo;
  const run = await runCli(['run', input, '--id-column', 'id', '--client', CLIENT, '--endpoint', `https://127.0.0.1:${port}`, '--out', join(dir, 'out'), '--no-wait']);
  t.is(run.code, 1, run.stderr);
  t.regex(run.stderr, /self[- ]signed|certificate/i);
  t.is(requests, 0, 'no request got through the handshake');
});

test('no source turns TLS verification off', (t) => {
  const packages = fileURLToPath(new URL('../../', import.meta.url));
  const offenders: string[] = [];
  for (const pkg of readdirSync(packages)) {
    let files: { name: string; text: string }[];
    try {
      files = filesUnder(join(packages, pkg, 'src'));
    } catch {
      continue;
    }
    for (const file of files) if (/rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity\s*:/.test(file.text)) offenders.push(file.name);
  }
  t.deepEqual(offenders, []);
});
