/**
 * The fault matrix: every fault the emulator injects, against `bulkpipe run`'s upload as the CLI assembles it
 * (`runUploadCommand`, in process so that retry waits and the rate window can be shortened), asserting the
 * classification, the attempts Target saw (its call log), the exit code and the report. The matrix is data:
 * docs/reliability.md ("Fault matrix") must hold its rendering — `UPDATE_FAULT_MATRIX=1` rewrites it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { startEmulator } from '@bulkpipe/emulator';
import type { FaultRuleInput, RunningEmulator } from '@bulkpipe/emulator';
import type { CommandIo } from '../src/command-runner.js';
import { runUploadCommand } from '../src/commands/upload-command.js';
import type { UploadCommandOptions } from '../src/commands/upload-command.js';
import { resolvePipelineArgs } from '../src/options/pipeline-options.js';
import { runCli, tempDir } from './run-cli.js';

const CLIENT = 'acme';
const ROWS = 20;
const DOC = fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url));
const BODY_FAILURE = '<response><success>false</success><message>Unexpected error</message></response>';

interface MatrixRow {
  /** What Target (or the network) does, as the docs say it. */
  fault: string;
  /** The emulator rule that injects it (spec form), or a setup step. */
  spec: string;
  rule?: FaultRuleInput;
  /** Done to the emulator before the run (token rotation). */
  setup?: (emulator: RunningEmulator) => { token: string };
  /** The client's decision for the failing call (`classify()`). */
  classification: 'retry' | 'fail' | 'fatal-config' | 'ok';
  /** batchUpdate calls Target saw for the one batch of the run. */
  submissions: number;
  /** batchStatus calls at least (polls that failed and were retried included). */
  minPolls?: number;
  exitCode: 0 | 1 | 2;
  /** report.json's upload outcome and the batch's state, or `none` when the run stopped before a report. */
  outcome: 'complete' | 'failed' | 'submitted' | 'none';
  batchState?: 'complete' | 'failed' | 'stuck' | 'unknown';
  /** The batch's error code in the report, or the run's error for a fatal stop. */
  errorCode?: string;
  /** Content accepted more than once (server-side, by body SHA-256). */
  acceptedTimes?: number;
  /** Extra upload options for this row (a short headers timeout). */
  upload?: Partial<UploadCommandOptions['upload']>;
  /** What the report shows, in words (rendered into the doc). */
  report: string;
}

const FAULT_MATRIX: readonly MatrixRow[] = [
  {
    fault: '503 storm (the 50-calls-a-minute answer)',
    spec: 'status:code=503,retryAfter=null,times=3,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 4,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete, `attempts` 4; the limiter held every call for the window after each 503',
  },
  {
    fault: '429 with `Retry-After`',
    spec: 'status:code=429,retryAfter=1,times=2,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 3,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete, `attempts` 3; each wait ≥ the (capped) `Retry-After`',
  },
  {
    fault: 'HTTP 500s',
    spec: 'status:code=500,times=2,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 3,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete, `attempts` 3',
  },
  {
    fault: 'HTTP 500 on every attempt',
    spec: 'status:code=500,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 8,
    exitCode: 1,
    outcome: 'failed',
    batchState: 'failed',
    errorCode: ErrorCode.RETRIES_EXHAUSTED,
    report: 'failed: `BULKPIPE_RETRIES_EXHAUSTED` after `maxAttempts` (8); its lines in failed.csv',
  },
  {
    fault: 'connection reset before the body',
    spec: 'reset:when=before-body,times=2,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 3,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete, `attempts` 3',
  },
  {
    fault: 'connection reset after the body (read, not queued)',
    spec: 'reset:when=after-body,times=1,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 2,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    acceptedTimes: 1,
    report: 'complete, `attempts` 2',
  },
  {
    fault: 'connection reset after Target accepted (answer lost)',
    spec: 'reset:when=after-accept,times=1,endpoint=batchUpdate',
    classification: 'retry',
    submissions: 2,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    acceptedTimes: 2,
    report: 'complete, `attempts` 2; Target holds the batch twice (harmless: the same whole rows)',
  },
  {
    fault: 'response slower than the headers timeout',
    spec: 'latency:ms=1500,times=1,endpoint=batchUpdate',
    upload: { http: { headersTimeoutMs: 300 } },
    classification: 'retry',
    submissions: 2,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete, `attempts` 2 (the slow first attempt may still be accepted: in doubt, sent again)',
  },
  {
    fault: 'status polls answered 503 / 500',
    spec: 'status:code=503,retryAfter=null,times=2,endpoint=batchStatus',
    classification: 'retry',
    submissions: 1,
    minPolls: 3,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete; the polls were retried',
  },
  {
    fault: 'HTTP 200 `success=false` (`Unexpected error`)',
    spec: `status:code=200,times=1,endpoint=batchUpdate (body ${BODY_FAILURE})`,
    rule: { kind: 'status', statusCode: 200, times: 1, endpoint: 'batchUpdate', body: BODY_FAILURE },
    classification: 'fail',
    submissions: 1,
    exitCode: 1,
    outcome: 'failed',
    batchState: 'failed',
    errorCode: ErrorCode.TARGET_REJECTED,
    report: 'failed: `BULKPIPE_TARGET_REJECTED` with Target\'s message; never retried; lines in failed.csv',
  },
  {
    fault: 'HTTP 400',
    spec: 'status:code=400,times=1,endpoint=batchUpdate',
    classification: 'fail',
    submissions: 1,
    exitCode: 1,
    outcome: 'failed',
    batchState: 'failed',
    errorCode: ErrorCode.TARGET_HTTP_STATUS,
    report: 'failed: `BULKPIPE_TARGET_HTTP_STATUS`; never retried',
  },
  {
    fault: 'HTTP 501',
    spec: 'status:code=501,times=1,endpoint=batchUpdate',
    classification: 'fail',
    submissions: 1,
    exitCode: 1,
    outcome: 'failed',
    batchState: 'failed',
    errorCode: ErrorCode.TARGET_HTTP_STATUS,
    report: 'failed: `BULKPIPE_TARGET_HTTP_STATUS`; never retried',
  },
  {
    fault: '403 after the token was rotated',
    spec: 'requireAuth, then a new token generated after the run\'s',
    setup: (emulator) => {
      emulator.configure({ requireAuth: true });
      const stale = emulator.generateToken(CLIENT).token;
      emulator.generateToken(CLIENT);
      return { token: stale };
    },
    classification: 'fatal-config',
    submissions: 1,
    exitCode: 2,
    outcome: 'none',
    errorCode: ErrorCode.TARGET_AUTH,
    report: 'the run stops at once (`BULKPIPE_TARGET_AUTH`, never the token); journal `run-end` failed; resumable with a new token',
  },
  {
    fault: '`stuck` batch',
    spec: 'stuck:times=1',
    classification: 'ok',
    submissions: 1,
    exitCode: 1,
    outcome: 'failed',
    batchState: 'stuck',
    report: 'failed: the batch is `stuck`; its lines in failed.csv',
  },
  {
    fault: 'status forgotten (unknown batch)',
    spec: 'forget-status:afterMs=0,times=1',
    classification: 'ok',
    submissions: 1,
    exitCode: 1,
    outcome: 'submitted',
    batchState: 'unknown',
    report: 'submitted: the batch is `unknown` (not failed); `bulkpipe verify` can check its profiles',
  },
  {
    fault: 'rows silently dropped (`drop-rows`, Adobe\'s ≤ 0.1 % loss)',
    spec: 'drop-rows:fraction=0.2,times=1',
    classification: 'ok',
    submissions: 1,
    exitCode: 0,
    outcome: 'complete',
    batchState: 'complete',
    report: 'complete: invisible to the status API; only `bulkpipe verify` (fetching a sample back) finds it',
  },
];

function renderMatrix(rows: readonly MatrixRow[]): string {
  const lines = [
    '| fault | emulator rule | decision | POSTs seen by Target | exit | report |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const spec = row.spec.replaceAll('|', '\\|');
      const posts = `${row.submissions}${row.acceptedTimes !== undefined ? ` (accepted ${row.acceptedTimes}×)` : ''}${row.minPolls !== undefined ? `, ≥ ${row.minPolls} polls` : ''}`;
      return `| ${row.fault} | \`${spec}\` | ${row.classification} | ${posts} | ${row.exitCode} | ${row.report} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

const MATRIX_START = '<!-- fault-matrix:start (generated from packages/cli/test/fault-matrix.test.ts; UPDATE_FAULT_MATRIX=1 rewrites it) -->\n';
const MATRIX_END = '<!-- fault-matrix:end -->';

function docMatrix(): string | undefined {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf(MATRIX_START);
  const end = text.indexOf(MATRIX_END);
  return start === -1 || end === -1 ? undefined : text.slice(start + MATRIX_START.length, end);
}

test('docs/reliability.md holds the rendering of this matrix', (t) => {
  const rendered = renderMatrix(FAULT_MATRIX);
  if (process.env.UPDATE_FAULT_MATRIX === '1') {
    const text = readFileSync(DOC, 'utf8');
    const start = text.indexOf(MATRIX_START);
    const end = text.indexOf(MATRIX_END);
    if (start === -1 || end === -1) t.fail('docs/reliability.md has no fault-matrix markers');
    else writeFileSync(DOC, text.slice(0, start + MATRIX_START.length) + rendered + text.slice(end));
  }
  t.is(docMatrix(), rendered, 'run the fault-matrix test with UPDATE_FAULT_MATRIX=1 to regenerate the table');
});

/** A CommandIo that keeps the NDJSON events and log lines instead of printing them. */
function captureIo(): { io: CommandIo; events: { event: string; [key: string]: unknown }[]; logs: string[] } {
  const events: { event: string; [key: string]: unknown }[] = [];
  const logs: string[] = [];
  const io: CommandIo = {
    signal: new AbortController().signal,
    forceSignal: new AbortController().signal,
    json: true,
    event: (type, data = {}) => events.push({ event: type, ...data }),
    log: (message) => logs.push(message),
  };
  return { io, events, logs };
}

interface ReportJson {
  upload: { outcome: string; batches: { state: string; attempts: number; error?: { code: string } }[] };
}

for (const row of FAULT_MATRIX) {
  test(`fault matrix: ${row.fault} → ${row.classification}, ${row.submissions} POST(s), exit ${row.exitCode}, ${row.outcome}`, async (t) => {
    const emulator = await startEmulator({ settings: { processingDelayMs: 0 } });
    t.teardown(() => emulator.close());
    const auth = row.setup?.(emulator);
    if (row.setup === undefined) emulator.addFault(row.rule ?? row.spec);
    const dir = tempDir('bulkpipe-fault-');
    const input = join(dir, 'export.csv');
    let csv = 'customer_id,tier\n';
    for (let n = 1; n <= ROWS; n++) csv += `c-${n},t${n % 3}\n`;
    writeFileSync(input, csv);
    const out = join(dir, 'out');
    mkdirSync(out); // as `run` does before the upload
    const { io, events } = captureIo();
    const { exitCode } = await runUploadCommand({
      command: 'run',
      resolved: resolvePipelineArgs({ input: [input], idColumn: 'customer_id' }),
      io,
      out,
      upload: {
        client: CLIENT,
        apiVersion: 'v2',
        baseUrl: emulator.url,
        journalPath: join(dir, 'run.journal'),
        ...(auth !== undefined ? { token: auth.token } : {}),
        // the production waits, shortened: exact small delays, a 50 ms rate window, a capped Retry-After
        retry: { minDelayMs: 1, maxDelayMs: 5, jitter: 'none', maxRetryAfterMs: 20 },
        status: { initialDelayMs: 5, maxDelayMs: 20, retry: { minDelayMs: 1, maxDelayMs: 5, jitter: 'none', maxRetryAfterMs: 20 } },
        rateWindowMs: 50,
        random: () => 0,
        journalFsync: false,
        ...row.upload,
      },
    });

    const calls = emulator.calls();
    const submissions = calls.filter((call) => call.endpoint === 'batchUpdateV2');
    t.is(submissions.length, row.submissions, 'POSTs Target saw');
    if (row.minPolls !== undefined) t.true(calls.filter((call) => call.endpoint === 'batchStatus').length >= row.minPolls, 'polls');
    t.true(emulator.faults().every((fault) => fault.fired > 0), 'the fault fired');
    t.is(exitCode, row.exitCode);
    const summary = events.find((event) => event.event === 'summary');
    t.is(summary?.exitCode, row.exitCode, 'the summary event carries the exit code');
    if (row.acceptedTimes !== undefined) {
      await emulator.waitForIdle();
      t.is(emulator.listBatches(CLIENT).length, row.acceptedTimes, 'acceptances of the batch, server-side');
    }

    const reportPath = join(out, 'report.json');
    if (row.outcome === 'none') {
      t.false(existsSync(reportPath), 'a fatal stop writes no report');
      const error = events.find((event) => event.event === 'summary') as { stoppedBy?: string } | undefined;
      t.is(error?.stoppedBy, row.errorCode);
      const journal = readFileSync(join(dir, 'run.journal'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; outcome?: string });
      t.deepEqual(journal.at(-1), { ...journal.at(-1), type: 'run-end', outcome: 'failed' });
      return;
    }
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as ReportJson;
    t.is(report.upload.outcome, row.outcome);
    const [batch] = report.upload.batches;
    t.is(report.upload.batches.length, 1);
    t.is(batch?.state, row.batchState);
    t.is(batch?.attempts, row.submissions, 'the report counts the attempts Target saw');
    t.is(batch?.error?.code, row.errorCode);
    if (row.batchState === 'failed' || row.batchState === 'stuck') {
      const failed = readFileSync(join(out, 'failed.csv'), 'utf8').trim().split('\n');
      t.is(failed.length, 1 + ROWS, 'every line of the batch is in failed.csv');
    }
  });
}

// Regression: `run --json` printed the summary event with the pipeline's exit code (0) before the upload's
// outcome was judged, so a run that failed a batch said `"exitCode":0` and then exited 1.
test('regression: the --json summary of a run whose batch failed carries exit code 1, as the process exits', async (t) => {
  const emulator = await startEmulator({ settings: { processingDelayMs: 0 }, faults: ['status:code=400,endpoint=batchUpdate'] });
  t.teardown(() => emulator.close());
  const dir = tempDir('bulkpipe-fault-');
  const input = join(dir, 'export.csv');
  writeFileSync(input, 'customer_id,tier\nc-1,gold\nc-2,silver\n');
  const run = await runCli(['run', input, '--id-column', 'customer_id', '--client', CLIENT, '--endpoint', emulator.url, '--out', join(dir, 'out'), '--json']);
  t.is(run.code, 1, run.stderr);
  const summary = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; exitCode?: number })
    .find((event) => event.event === 'summary');
  t.is(summary?.exitCode, 1);
});
