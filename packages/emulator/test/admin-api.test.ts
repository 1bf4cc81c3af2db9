import test from 'ava';
import { postBatch, rawRequest, submitAndWait, withEmulator } from './helpers.js';

async function admin(url: string, method: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await rawRequest(url, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }) });
  return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> };
}

test('settings: read defaults, patch globally and per client; bad values are coded 400s', async (t) => {
  await withEmulator({}, async (emulator) => {
    const base = `${emulator.url}/_emulator`;
    const read = await admin(`${base}/settings`, 'GET');
    t.like(read.json, { defaults: { rateLimitCalls: 50, rateLimitWindowMs: 60_000, maxBatchBytes: 50_000_000, maxBatchRows: 500_000, maxProfileBytes: 65_536 } });
    t.like((await admin(`${base}/settings`, 'PATCH', { processingDelayMs: 5 })).json, { defaults: { processingDelayMs: 5 } });
    t.like((await admin(`${base}/clients/acme`, 'PATCH', { rateLimitCalls: 7 })).json, { client: 'acme', settings: { rateLimitCalls: 7, processingDelayMs: 5 } });
    const bad = await admin(`${base}/clients/acme`, 'PATCH', { rateLimitCalls: -1 });
    t.is(bad.status, 400);
    t.like(bad.json, { error: { code: 'BULKPIPE_INVALID_OPTION', option: 'clients.acme.rateLimitCalls' } });
    t.is((await admin(`${base}/settings`, 'PATCH', { nope: true })).status, 400);
  });
});

test('faults: add by spec or object, list with counters, delete one or all', async (t) => {
  await withEmulator({}, async (emulator) => {
    const base = `${emulator.url}/_emulator/faults`;
    const bySpec = await admin(base, 'POST', { spec: 'status:code=503,times=1' });
    t.is(bySpec.status, 201);
    t.like(bySpec.json, { id: 'f1', kind: 'status', statusCode: 503, times: 1 });
    t.like((await admin(base, 'POST', { kind: 'latency', latencyMs: 1 })).json, { id: 'f2' });
    t.is((await admin(base, 'POST', { kind: 'meteor' })).status, 400);
    t.is((await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nx,1')).status, 503);
    const listed = (await admin(base, 'GET')).json.faults as Array<{ id: string; fired: number }>;
    t.deepEqual(listed.map((rule) => [rule.id, rule.fired]), [['f1', 1], ['f2', 1]]);
    t.is((await admin(`${base}/f1`, 'DELETE')).status, 200);
    t.is((await admin(`${base}/f1`, 'DELETE')).status, 404);
    await admin(base, 'DELETE');
    t.deepEqual((await admin(base, 'GET')).json.faults, []);
  });
});

test('state: profiles, batches, a batch, the call log, the clock, processing control, reset', async (t) => {
  await withEmulator({}, async (emulator) => {
    const base = `${emulator.url}/_emulator`;
    const { batchId } = await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1\nc-2,2');
    const profiles = (await admin(`${base}/clients/acme/profiles?limit=1`, 'GET')).json;
    t.is((profiles.profiles as unknown[]).length, 1);
    t.truthy(profiles.next);
    t.like((await admin(`${base}/clients/acme/profiles/c-2`, 'GET')).json, { visitorId: 'c-2', profileAttributes: { a: { value: '2' } } });
    t.like((await admin(`${base}/clients/acme`, 'GET')).json, { profiles: 2 });
    t.like((await admin(`${base}/batches/${batchId}`, 'GET')).json, { batchId, status: 'complete', batchSize: 2, successfulUpdates: 2, known: true });
    t.is(((await admin(`${base}/clients/acme/batches`, 'GET')).json.batches as unknown[]).length, 1);
    t.like(((await admin(`${base}/calls`, 'GET')).json.calls as unknown[])[0] as object, { method: 'POST', endpoint: 'batchUpdateV2', client: 'acme', status: 200 });

    const before = emulator.now();
    const clock = await admin(`${base}/clock`, 'POST', { advanceMs: 86_400_000 });
    t.true((clock.json.epochMs as number) >= before + 86_400_000);

    t.like((await admin(`${base}/processing/pause`, 'POST')).json, { paused: true });
    await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-3,3');
    t.like((await admin(`${base}/health`, 'GET')).json, { ok: true, pending: 1, paused: true });
    await admin(`${base}/processing/resume`, 'POST');
    t.like((await admin(`${base}/processing/wait`, 'POST')).json, { pending: 0 });

    await admin(`${base}/reset`, 'POST');
    t.like((await admin(`${base}/clients/acme`, 'GET')).json, { profiles: 0 });
    t.is((await admin(`${base}/nothing`, 'GET')).status, 404);
  });
});

test('the admin API can be turned off', async (t) => {
  await withEmulator({ adminApi: false }, async (emulator) => {
    t.is((await rawRequest(`${emulator.url}/_emulator/health`)).status, 404);
  });
});
