import { request } from 'node:http';
import test from 'ava';
import { parseFaultSpec } from '../src/index.js';
import { attributesOf, counts, postBatch, rawRequest, statusUrlOf, submitAndWait, withEmulator, xmlField } from './helpers.js';

const BODY = 'batch=thirdPartyId,a\nc-1,1';

/** Resolves to the socket error code when the connection is cut, or the HTTP status when answered. */
function outcome(url: string, body?: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

test('a run of 503s: exactly `times` matching calls fail, then calls pass', async (t) => {
  await withEmulator({ faults: ['status:code=503,times=3,endpoint=batchUpdate'] }, async (emulator) => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postBatch(emulator, 'acme', 2, BODY)).status);
    t.deepEqual(statuses, [503, 503, 503, 200, 200]);
    // injected failures do not use up the rate limit and are visible in the call log
    t.deepEqual(emulator.calls().map((call) => call.faults.length), [1, 1, 1, 0, 0]);
  });
});

test('429 with Retry-After, and 500, by client and endpoint', async (t) => {
  await withEmulator({}, async (emulator) => {
    emulator.addFault({ kind: 'status', statusCode: 429, retryAfterSeconds: 7, client: 'acme', endpoint: 'batchUpdateV2' });
    emulator.addFault({ kind: 'status', statusCode: 500, endpoint: 'batchStatus' });
    const throttled = await postBatch(emulator, 'acme', 2, BODY);
    t.is(throttled.status, 429);
    t.is(throttled.headers['retry-after'], '7');
    t.is((await postBatch(emulator, 'acme', 1, BODY)).status, 200);
    const accepted = await postBatch(emulator, 'other', 2, BODY);
    t.is(accepted.status, 200);
    const broken = await rawRequest(statusUrlOf(accepted));
    t.is(broken.status, 500);
    t.is(broken.headers['retry-after'], undefined);
  });
});

test('skip lets the first calls through; path patterns select calls', async (t) => {
  await withEmulator({ faults: [{ kind: 'status', statusCode: 502, skip: 2, path: '^/m2/[^/]+/v2/' }] }, async (emulator) => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postBatch(emulator, 'acme', 2, BODY)).status);
    t.deepEqual(statuses, [200, 200, 502, 502]);
    t.is((await postBatch(emulator, 'acme', 1, BODY)).status, 200);
  });
});

test('probabilistic faults are deterministic under a seed', async (t) => {
  const run = async (seed: number): Promise<number[]> =>
    withEmulator({ seed, settings: { rateLimitCalls: 0 }, faults: ['status:code=503,p=0.5'] }, async (emulator) => {
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await postBatch(emulator, 'acme', 2, BODY)).status);
      return statuses;
    });
  const first = await run(42);
  t.deepEqual(await run(42), first);
  t.true(first.includes(503) && first.includes(200));
  t.notDeepEqual(await run(43), first);
});

test('latency delays the answer (a slow response beyond a client timeout)', async (t) => {
  await withEmulator({ faults: ['latency:ms=400,times=1'] }, async (emulator) => {
    // an AbortSignal timeout shorter than the latency: the client gives up, as a real client timeout would
    const error = await t.throwsAsync(fetch(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', body: BODY, signal: AbortSignal.timeout(100) }), { any: true });
    t.is((error as { name?: string }).name, 'TimeoutError');
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
  });
});

test('connection reset before the body: nothing is queued', async (t) => {
  await withEmulator({ faults: ['reset:when=before-body,times=1'] }, async (emulator) => {
    t.is(await outcome(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, BODY), 'ECONNRESET');
    t.deepEqual(emulator.listBatches('acme'), []);
    t.is(await outcome(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, BODY), 200);
  });
});

test('connection reset after the body: read, but not queued', async (t) => {
  await withEmulator({ faults: [{ kind: 'reset', when: 'after-body', times: 1 }] }, async (emulator) => {
    t.is(await outcome(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, BODY), 'ECONNRESET');
    await emulator.waitForIdle();
    t.deepEqual(emulator.listBatches('acme'), []);
    t.deepEqual(emulator.calls().map((call) => call.status), ['reset']);
  });
});

test('connection reset after accept: the batch was queued and applied although the client saw no answer', async (t) => {
  await withEmulator({ faults: [{ kind: 'reset', when: 'after-accept', times: 1 }] }, async (emulator) => {
    t.is(await outcome(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, BODY), 'ECONNRESET');
    await emulator.waitForIdle();
    t.is(emulator.listBatches('acme')[0]?.status, 'complete');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: '1' });
  });
});

test('stuck batches: by fault rule and by admin call; never applied', async (t) => {
  await withEmulator({ faults: ['stuck:times=1'] }, async (emulator) => {
    const stuck = statusUrlOf(await postBatch(emulator, 'acme', 2, BODY));
    await emulator.waitForIdle();
    t.is(xmlField((await rawRequest(stuck)).body, 'status'), 'stuck');
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), undefined);

    emulator.pauseProcessing();
    const second = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-2,1'));
    const batchId = new URL(second).searchParams.get('batchId')!;
    const marked = await rawRequest(`${emulator.url}/_emulator/batches/${batchId}/stuck`, { method: 'POST' });
    t.is(marked.status, 200);
    emulator.resumeProcessing();
    await emulator.waitForIdle();
    t.is(xmlField((await rawRequest(second)).body, 'status'), 'stuck');
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), undefined);
  });
});

test('drop-rows: a seeded fraction of rows is silently lost, reported as successful', async (t) => {
  const rows = Array.from({ length: 2000 }, (_, i) => `c-${i},v`).join('\n');
  const run = async (seed: number): Promise<string[]> =>
    withEmulator({ seed, faults: ['drop-rows:fraction=0.05'] }, async (emulator) => {
      const { status, batchId } = await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,a\n${rows}`);
      t.like(counts(status.body), { status: 'complete', batchSize: 2000, successfulUpdates: 2000, failedUpdates: 0 });
      const dropped = emulator.batch(batchId)!.droppedRows;
      t.true(dropped > 50 && dropped < 160, `dropped ${dropped}`);
      const missing: string[] = [];
      for (let i = 0; i < 2000; i++) if (emulator.getProfile('acme', { thirdPartyId: `c-${i}` }) === undefined) missing.push(`c-${i}`);
      t.is(missing.length, dropped);
      return missing;
    });
  const first = await run(7);
  t.deepEqual(await run(7), first);
});

test('forget-status: the status becomes unknown after afterMs; so does a status past its retention', async (t) => {
  let now = 0;
  await withEmulator({ clock: () => now, faults: ['forget-status:afterMs=1000,times=1'] }, async (emulator) => {
    const forgotten = statusUrlOf(await postBatch(emulator, 'acme', 2, BODY));
    const kept = statusUrlOf(await postBatch(emulator, 'acme', 2, BODY));
    await emulator.waitForIdle();
    t.is(xmlField((await rawRequest(forgotten)).body, 'status'), 'complete');
    now = 1000;
    const unknown = await rawRequest(forgotten);
    t.is(unknown.status, 404);
    t.is(xmlField(unknown.body, 'status'), 'unknown');
    t.is(xmlField((await rawRequest(kept)).body, 'status'), 'complete');
    now = 86_400_000;
    t.is(xmlField((await rawRequest(kept)).body, 'status'), 'unknown');
  });
});

test('statusRetentionCount keeps only the newest statuses per client (legacy: 10)', async (t) => {
  await withEmulator({ settings: { statusRetentionCount: 2 } }, async (emulator) => {
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push(statusUrlOf(await postBatch(emulator, 'acme', 2, BODY)));
    await emulator.waitForIdle();
    const statuses = await Promise.all(urls.map(async (url) => xmlField((await rawRequest(url)).body, 'status')));
    t.deepEqual(statuses, ['unknown', 'complete', 'complete']);
  });
});

test('fault specs parse from the CLI form and bad ones are coded errors', (t) => {
  t.deepEqual(parseFaultSpec('status:code=429,retryAfter=3,times=2,endpoint=batchUpdate,client=acme'), {
    kind: 'status',
    statusCode: 429,
    retryAfterSeconds: 3,
    times: 2,
    endpoint: 'batchUpdate',
    client: 'acme',
  });
  t.deepEqual(parseFaultSpec('latency:ms=2500'), { kind: 'latency', latencyMs: 2500 });
  for (const bad of ['explode', 'status:code=abc', 'latency:ms', 'reset:when=later', 'drop-rows:fraction=2', 'status:colour=red', 'status:path=(']) {
    const error = t.throws(() => parseFaultSpec(bad), undefined, bad);
    t.is((error as { code?: string }).code, 'BULKPIPE_INVALID_OPTION', bad);
  }
});
