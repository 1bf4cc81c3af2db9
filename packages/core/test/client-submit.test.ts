import test from 'ava';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { TargetClient } from '../src/client/target-client.js';
import type { TargetError } from '../src/client/target-error.js';
import { classify } from '../src/retry/classify.js';
import { withRetry } from '../src/retry/with-retry.js';
import type { CallBudget } from '../src/rate-limit/call-budget.js';
import { startScriptedServer, submitOk } from './client-test-server.js';
import type { Step } from './client-test-server.js';

const BODY = Buffer.from('batch=thirdPartyId,city\nc-1,M%C3%BCnchen\nc-2,Lyon\n');
const STATUS_URL = 'http://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=acme-1701473848678-13029383&m2Node=00';

async function setup(t: { teardown(fn: () => Promise<void>): void }, steps: Step[], options: Partial<ConstructorParameters<typeof TargetClient>[0]> = {}) {
  const server = await startScriptedServer(steps);
  const client = new TargetClient({ client: 'acme', baseUrl: server.url, ...options });
  t.teardown(async () => {
    await client.destroy();
    await server.close();
  });
  return { server, client };
}

test('v2 submit: POST to /m2/{client}/v2/profile/batchUpdate, form content type, bearer token, body sent byte for byte', async (t) => {
  const { server, client } = await setup(t, [{ status: 200, body: submitOk(STATUS_URL) }], { token: 'tok-123' });
  const submission = await client.submitBatch({ body: BODY, apiVersion: 'v2' });
  t.deepEqual(submission, { statusUrl: STATUS_URL, batchId: 'acme-1701473848678-13029383', message: 'Batch submitted for processing' });
  const [request] = server.requests;
  t.is(request?.method, 'POST');
  t.is(request?.url, '/m2/acme/v2/profile/batchUpdate');
  t.is(request?.headers['content-type'], 'application/x-www-form-urlencoded');
  t.is(request?.headers.authorization, 'Bearer tok-123');
  t.true(request?.body.equals(BODY));
});

test('v1 submit goes to /m2/{client}/profile/batchUpdate and sends no Authorization without a token', async (t) => {
  const { server, client } = await setup(t, [{ status: 200, body: submitOk(STATUS_URL) }]);
  await client.submitBatch({ body: BODY, apiVersion: 'v1' });
  t.is(server.requests[0]?.url, '/m2/acme/profile/batchUpdate');
  t.is(server.requests[0]?.headers.authorization, undefined);
});

test('the base URL defaults to https://{client}.tt.omtrdc.net; a path prefix and trailing slash are kept right', (t) => {
  t.is(new TargetClient({ client: 'acme' }).batchUpdateUrl('v2'), 'https://acme.tt.omtrdc.net/m2/acme/v2/profile/batchUpdate');
  t.is(new TargetClient({ client: 'acme', baseUrl: 'http://localhost:9/proxy/' }).batchUpdateUrl('v1'), 'http://localhost:9/proxy/m2/acme/profile/batchUpdate');
  for (const baseUrl of ['ftp://x', 'not a url', 'http://h/?q=1', 'http://user:pw@h/']) {
    t.true(isBulkpipeError(t.throws(() => new TargetClient({ client: 'acme', baseUrl })), ErrorCode.INVALID_OPTION), baseUrl);
  }
  t.true(isBulkpipeError(t.throws(() => new TargetClient({ client: 'ac/me' })), ErrorCode.INVALID_OPTION));
});

test('regression: Target’s unescaped &m2Node=00 in <batchStatus> is read literally, not refused', async (t) => {
  const { client } = await setup(t, [{ status: 200, body: submitOk(STATUS_URL) }]);
  t.true(submitOk(STATUS_URL).includes('&m2Node=00'));
  t.is((await client.submitBatch({ body: BODY, apiVersion: 'v2' })).statusUrl, STATUS_URL);
});

test('status URL and batchId are stored verbatim, whatever their shape', async (t) => {
  const odd = 'https://mboxedge17.tt.omtrdc.net/m2/acme/v2/profile/batchStatus?m2Node=00&batchId=x-%7E1&foo=';
  const { client } = await setup(t, [{ status: 200, body: submitOk(odd.replace(/&/g, '&amp;')) }, { status: 200, body: submitOk(STATUS_URL, '<batchId>other-id</batchId>') }]);
  t.deepEqual(await client.submitBatch({ body: BODY, apiVersion: 'v2' }), { statusUrl: odd, batchId: 'x-%7E1', message: 'Batch submitted for processing' });
  t.is((await client.submitBatch({ body: BODY, apiVersion: 'v2' })).batchId, 'other-id');
});

test('success=false is TARGET_REJECTED with Target’s message, and is never retried', async (t) => {
  const { server, client } = await setup(t, [{ status: 200, body: '<response><success>false</success><message>Unexpected error</message></response>' }]);
  const error = await t.throwsAsync(withRetry(() => client.submitBatch({ body: BODY, apiVersion: 'v2' }), { minDelayMs: 1 }));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_REJECTED));
  t.is((error as TargetError).targetMessage, 'Unexpected error');
  t.regex(error?.message ?? '', /Unexpected error/);
  t.is(classify(error), 'fail');
  t.is(server.requests.length, 1);
});

test('malformed or incomplete answers on HTTP 200 are TARGET_BAD_RESPONSE, never a success', async (t) => {
  const bodies = [
    '',
    '<response><success>true</success><batchStatus>http://e/s?batchId=1</batchStatus>',
    '<response><success>true</success></response>',
    '<response><success>true</success><batchStatus>  </batchStatus></response>',
    '<response><success>true</success><batchStatus>not a url</batchStatus></response>',
    '<response><success>true</success><success>true</success><batchStatus>http://e/s</batchStatus></response>',
    '<response><success>yes</success><batchStatus>http://e/s</batchStatus></response>',
    '<html><body>Service Temporarily Unavailable</body></html>',
    '<response><success>true</success><batchStatus>http://e/s?a=1&bogus;b=2</batchStatus></response>',
    '{"success":true}',
    '<response><success>true</success><batchStatus>http://e/s</batchStatus></response><extra/>',
    '<!DOCTYPE x [<!ENTITY a "b">]><response><success>true</success></response>',
  ];
  const { client } = await setup(t, bodies.map((body) => ({ status: 200, body })));
  for (const body of bodies) {
    const error = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }), undefined, body);
    t.true(isBulkpipeError(error, ErrorCode.TARGET_BAD_RESPONSE), body);
    t.is(classify(error), 'fail');
  }
});

test('a 2xx other than 200 with a good body is a success; non-2xx with a success body is not', async (t) => {
  const { client } = await setup(t, [{ status: 202, body: submitOk(STATUS_URL) }, { status: 500, body: submitOk(STATUS_URL) }]);
  t.is((await client.submitBatch({ body: BODY, apiVersion: 'v2' })).statusUrl, STATUS_URL);
  const error = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_HTTP_STATUS));
  t.is((error as TargetError).context.statusCode, 500);
});

test('401 and 403 are TARGET_AUTH with a message about the token, fatal for the run', async (t) => {
  const { client } = await setup(t, [{ status: 403, body: 'Forbidden' }, { status: 401 }], { token: 'tok-abc' });
  const forbidden = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.true(isBulkpipeError(forbidden, ErrorCode.TARGET_AUTH));
  t.regex(forbidden?.message ?? '', /rotated.*expired.*BULKPIPE_TOKEN.*--token-file/s);
  t.is(classify(forbidden), 'fatal-config');
  const unauthorized = await t.throwsAsync(client.getBatchStatus(STATUS_URL.replace('http://mboxedge45.tt.omtrdc.net', client.options.baseUrl)));
  t.is((unauthorized as TargetError).context.statusCode, 401);

  const { client: anonymous } = await setup(t, [{ status: 403 }]);
  const noToken = await t.throwsAsync(anonymous.submitBatch({ body: BODY, apiVersion: 'v1' }));
  t.regex(noToken?.message ?? '', /no profile API token was configured/);
});

test('503 with Retry-After: TARGET_HTTP_STATUS carrying the wait, and the rate limiter is told', async (t) => {
  const penalties: Array<number | undefined> = [];
  let acquired = 0;
  const budget: CallBudget = { acquire: async () => void acquired++, penalize: (ms) => void penalties.push(ms) };
  const { client } = await setup(t, [{ status: 503, headers: { 'retry-after': '7' }, body: '' }, { status: 503 }, { status: 429 }, { status: 200, body: submitOk(STATUS_URL) }], { rateLimiter: budget });
  const first = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.is((first as TargetError).retryAfterMs, 7_000);
  t.regex(first?.message ?? '', /HTTP 503.*50 calls per minute/);
  await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  await t.throwsAsync(client.getBatchStatus(`${client.options.baseUrl}/s?batchId=1`));
  await client.submitBatch({ body: BODY, apiVersion: 'v2' });
  t.deepEqual(penalties, [7_000, undefined, undefined]);
  t.is(acquired, 4);
});

test('every retryable fault recovers under withRetry: socket destroyed, then 503, then 502, then success', async (t) => {
  const { server, client } = await setup(t, ['destroy', { status: 503 }, { status: 502, body: '<html>bad gateway</html>' }, { status: 200, body: submitOk(STATUS_URL) }]);
  const codes: string[] = [];
  const submission = await withRetry(() => client.submitBatch({ body: BODY, apiVersion: 'v2' }), { minDelayMs: 1, maxDelayMs: 5 }, {
    onRetry: ({ error }) => codes.push(`${(error as TargetError).code}:${(error as TargetError).networkCode ?? (error as TargetError).context.statusCode}`),
  });
  t.is(submission.statusUrl, STATUS_URL);
  t.is(server.requests.length, 4);
  t.true(server.requests.every((r) => r.body.equals(BODY)));
  t.is(codes[0]?.split(':')[0], ErrorCode.TARGET_NETWORK);
  t.deepEqual(codes.slice(1), [`${ErrorCode.TARGET_HTTP_STATUS}:503`, `${ErrorCode.TARGET_HTTP_STATUS}:502`]);
});

test('a refused connection is a retryable network error', async (t) => {
  const { server } = await setup(t, [{ status: 200 }]);
  await server.close();
  const client = new TargetClient({ client: 'acme', baseUrl: server.url });
  t.teardown(() => client.destroy());
  const error = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_NETWORK));
  t.is((error as TargetError).networkCode, 'ECONNREFUSED');
  t.is(classify(error), 'retry');
});

test('a server that never answers hits headersTimeoutMs: a retryable network error', async (t) => {
  const { client } = await setup(t, ['hang'], { headersTimeoutMs: 200 });
  const error = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_NETWORK));
  t.is((error as TargetError).networkCode, 'UND_ERR_HEADERS_TIMEOUT');
  t.is(classify(error), 'retry');
});

test('an abort stops a call in flight with signal.reason, and an aborted signal sends nothing', async (t) => {
  const { server, client } = await setup(t, ['hang']);
  const controller = new AbortController();
  const reason = new Error('SIGINT');
  const call = client.submitBatch({ body: BODY, apiVersion: 'v2', signal: controller.signal });
  while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort(reason);
  t.is(await t.throwsAsync(call), reason);
  t.is(await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2', signal: AbortSignal.abort(reason) })), reason);
  t.is(server.requests.length, 1);
});

test('an answer larger than maxResponseBytes is refused', async (t) => {
  const { client } = await setup(t, [{ status: 200, body: `<response><message>${'x'.repeat(5000)}</message></response>` }], { maxResponseBytes: 1000 });
  const error = await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_BAD_RESPONSE));
  t.regex(error?.message ?? '', /maxResponseBytes/);
});

test('onCall reports each call with its status or error code', async (t) => {
  const events: string[] = [];
  const { client } = await setup(t, [{ status: 503 }, { status: 200, body: submitOk(STATUS_URL) }], {
    onCall: (event) => events.push(`${event.operation} ${event.method} ${event.statusCode ?? event.errorCode}`),
  });
  await t.throwsAsync(client.submitBatch({ body: BODY, apiVersion: 'v2' }));
  await client.submitBatch({ body: BODY, apiVersion: 'v2' });
  t.deepEqual(events, ['submitBatch POST 503', 'submitBatch POST 200']);
});
