import test from 'ava';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { TargetClient, withShowDetails } from '../src/client/target-client.js';
import { parseBatchStatusResponse } from '../src/client/responses.js';
import { startScriptedServer } from './client-test-server.js';
import type { Step } from './client-test-server.js';

async function setup(t: { teardown(fn: () => Promise<void>): void }, steps: Step[], options: { rateLimitStatusPolls?: boolean } = {}) {
  const server = await startScriptedServer(steps);
  let acquired = 0;
  const client = new TargetClient({ client: 'acme', baseUrl: 'http://127.0.0.1:9', rateLimiter: { acquire: async () => void acquired++, penalize: () => undefined }, ...options });
  t.teardown(async () => {
    await client.destroy();
    await server.close();
  });
  return { server, client, acquired: () => acquired };
}

test('showDetails=true is added with ? or & as the URL needs, before a fragment, never twice', (t) => {
  const cases: Array<[string, string]> = [
    ['http://e/m2/acme/profile/batchStatus?batchId=acme-1', 'http://e/m2/acme/profile/batchStatus?batchId=acme-1&showDetails=true'],
    ['http://e/m2/acme/profile/batchStatus?batchId=acme-1&m2Node=00', 'http://e/m2/acme/profile/batchStatus?batchId=acme-1&m2Node=00&showDetails=true'],
    ['http://e/status/acme-1', 'http://e/status/acme-1?showDetails=true'],
    ['http://e/s?', 'http://e/s?showDetails=true'],
    ['http://e/s?batchId=1&', 'http://e/s?batchId=1&showDetails=true'],
    ['http://e/s?batchId=1#top', 'http://e/s?batchId=1&showDetails=true#top'],
    ['http://e/s?batchId=1&showDetails=true', 'http://e/s?batchId=1&showDetails=true'],
    ['http://e/s?batchId=1&showDetails=false', 'http://e/s?batchId=1&showDetails=false&showDetails=true'],
  ];
  for (const [input, expected] of cases) t.is(withShowDetails(input), expected, input);
});

test('the status URL goes on the wire exactly as returned (host, path, query encoding), plus showDetails', async (t) => {
  const { server, client, acquired } = await setup(t, [{ status: 200, body: '<response><batchId>acme-1</batchId><status>complete</status><batchSize>1</batchSize></response>' }]);
  const statusUrl = `${server.url}/m2/acme/v2/profile/batchStatus?batchId=acme-1%7E2&m2Node=00`;
  const status = await client.getBatchStatus(statusUrl);
  t.is(server.requests[0]?.url, '/m2/acme/v2/profile/batchStatus?batchId=acme-1%7E2&m2Node=00&showDetails=true');
  t.is(server.requests[0]?.method, 'GET');
  t.is(status.state, 'complete');
  t.is(status.batchId, 'acme-1');
  t.deepEqual(status.counts, { batchSize: 1 });
  await client.getBatchStatus(statusUrl, { details: false });
  t.is(server.requests[1]?.url, '/m2/acme/v2/profile/batchStatus?batchId=acme-1%7E2&m2Node=00');
  t.is(acquired(), 2);
});

test('status polls can be left out of the rate budget', async (t) => {
  const { server, client, acquired } = await setup(t, [{ status: 200, body: '<response><status>incomplete</status></response>' }], { rateLimitStatusPolls: false });
  t.is((await client.getBatchStatus(`${server.url}/s?batchId=1`)).state, 'incomplete');
  t.is(acquired(), 0);
});

test('detailed status: counts, and v2 failed rows — anything but success counts as failed', (t) => {
  const status = parseBatchStatusResponse(`<?xml version="1.0" encoding="UTF-8"?>
<response>
  <batchId>acme-1701473848678-13029383</batchId>
  <status>complete</status>
  <batchSize>5</batchSize>
  <consumedCount>5</consumedCount>
  <successfulUpdates>2</successfulUpdates>
  <profilesNotFound>0</profilesNotFound>
  <failedUpdates>3</failedUpdates>
  <profile><id>c-1</id><status>failed</status></profile>
  <profiles>
    <profile><id>c-2</id><status>error</status></profile>
    <profile><id>c-3</id><status>pending</status></profile>
    <profile><id>c-4</id><status>success</status></profile>
  </profiles>
  <profile><id>a&amp;b</id><status>failed</status></profile>
</response>`);
  t.is(status.state, 'complete');
  t.deepEqual(status.counts, { batchSize: 5, consumedCount: 5, successfulUpdates: 2, profilesNotFound: 0, failedUpdates: 3 });
  t.deepEqual(status.failedIds, ['c-1', 'c-2', 'c-3', 'a&b']);
  t.deepEqual(status.failedProfiles[1], { id: 'c-2', status: 'error' });
});

test('stuck and incomplete are read as such', (t) => {
  t.is(parseBatchStatusResponse('<response><status>stuck</status></response>').state, 'stuck');
  t.is(parseBatchStatusResponse('<response><status> incomplete </status></response>').state, 'incomplete');
});

test('an unknown or expired batch is state unknown, not a failure: 404, 410, odd status, no-status message', async (t) => {
  const { server, client } = await setup(t, [
    { status: 404, body: 'Not Found' },
    { status: 410 },
    { status: 200, body: '<response><batchId>x</batchId><status>not found</status></response>' },
    { status: 200, body: '<response><success>false</success><message>Batch not found</message></response>' },
  ]);
  const states = [];
  for (let i = 0; i < 4; i++) states.push(await client.getBatchStatus(`${server.url}/s?batchId=x`));
  t.deepEqual(states.map((s) => s.state), ['unknown', 'unknown', 'unknown', 'unknown']);
  t.is(states[2]?.reportedStatus, 'not found');
  t.is(states[3]?.message, 'Batch not found');
});

test('malformed status answers are TARGET_BAD_RESPONSE', async (t) => {
  const bodies = [
    '<response></response>',
    '<response><status>complete</status><batchSize>-1</batchSize></response>',
    '<response><status>complete</status><failedUpdates>two</failedUpdates></response>',
    '<response><status>complete</status><status>stuck</status></response>',
    '<response><status>complete</status><profile><status>failed</status></profile></response>',
    '<response><status>complete</status>',
    '<reply><status>complete</status></reply>',
    'complete',
  ];
  const { server, client } = await setup(t, bodies.map((body) => ({ status: 200, body })));
  for (const body of bodies) {
    const error = await t.throwsAsync(client.getBatchStatus(`${server.url}/s?batchId=1`), undefined, body);
    t.true(isBulkpipeError(error, ErrorCode.TARGET_BAD_RESPONSE), body);
  }
});

test('a 5xx on a status poll is a retryable HTTP status error', async (t) => {
  const { server, client } = await setup(t, [{ status: 502 }]);
  const error = await t.throwsAsync(client.getBatchStatus(`${server.url}/s?batchId=1`));
  t.true(isBulkpipeError(error, ErrorCode.TARGET_HTTP_STATUS));
});
