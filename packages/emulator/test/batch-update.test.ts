import { readFileSync } from 'node:fs';
import test from 'ava';
import { attributesOf, counts, postBatch, rawRequest, statusUrlOf, submitAndWait, withEmulator, xmlField } from './helpers.js';

const adobeSample = readFileSync(new URL('./fixtures/adobe-sample-batch.txt', import.meta.url));

test("Adobe's sample batch, sent as curl --data-binary sends it, is accepted with the documented answer", async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await postBatch(emulator, 'demo', 2, adobeSample);
    t.is(answer.status, 200);
    t.regex(answer.headers['content-type'] as string, /xml/);
    t.is(xmlField(answer.body, 'success'), 'true');
    t.is(xmlField(answer.body, 'message'), 'Batch submitted for processing');
    const statusUrl = new URL(statusUrlOf(answer));
    // absolute, on the emulator's own host, with a Target-shaped batchId
    t.is(statusUrl.origin, emulator.url);
    t.is(statusUrl.pathname, '/m2/demo/profile/batchStatus');
    t.regex(statusUrl.searchParams.get('batchId')!, /^demo-\d{13}-\d{8}$/);
  });
});

test("v2 creates the sample's pcId profiles; empty cells set nothing", async (t) => {
  await withEmulator({}, async (emulator) => {
    const { status } = await submitAndWait(emulator, 'demo', 2, adobeSample.toString('utf8'));
    t.deepEqual(counts(status.body), { status: 'complete', batchSize: 4, consumedCount: 4, successfulUpdates: 4, profilesNotFound: 0, failedUpdates: 0 });
    t.deepEqual(await attributesOf(emulator, 'demo', '123'), { param1: 'value1' });
    t.deepEqual(await attributesOf(emulator, 'demo', '124'), { param1: 'value1', param4: 'value4' });
    t.deepEqual(await attributesOf(emulator, 'demo', '125'), { param2: 'value2' });
    t.deepEqual(await attributesOf(emulator, 'demo', '126'), { param1: 'value1', param2: 'value2', param3: 'value3', param4: 'value4' });
  });
});

test('v1 never creates profiles: unknown ids count as profilesNotFound', async (t) => {
  await withEmulator({}, async (emulator) => {
    const first = await submitAndWait(emulator, 'demo', 1, adobeSample.toString('utf8'));
    t.deepEqual(counts(first.status.body), { status: 'complete', batchSize: 4, consumedCount: 4, successfulUpdates: 0, profilesNotFound: 4, failedUpdates: 0 });
    t.is(await attributesOf(emulator, 'demo', '123'), undefined);

    // an mbox call creates visitors 123 and 124; v1 now updates exactly those
    emulator.simulateMboxCall('demo', { tntId: '123' });
    emulator.simulateMboxCall('demo', { tntId: '124' });
    const second = await submitAndWait(emulator, 'demo', 1, adobeSample.toString('utf8'));
    t.like(counts(second.status.body), { successfulUpdates: 2, profilesNotFound: 2, failedUpdates: 0 });
    t.deepEqual(await attributesOf(emulator, 'demo', '124'), { param1: 'value1', param4: 'value4' });
  });
});

test('v1 with thirdPartyId updates an existing profile and leaves others alone', async (t) => {
  await withEmulator({}, async (emulator) => {
    emulator.simulateMboxCall('acme', { thirdPartyId: 'c-1' });
    const { status } = await submitAndWait(emulator, 'acme', 1, 'batch=thirdPartyId,tier\nc-1,gold\nc-2,silver');
    t.like(counts(status.body), { successfulUpdates: 1, profilesNotFound: 1 });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { tier: 'gold' });
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), undefined);
  });
});

test('status is incomplete while processing, then complete; without showDetails only batchSize is shown', async (t) => {
  await withEmulator({}, async (emulator) => {
    emulator.pauseProcessing();
    const statusUrl = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold\nc-2,silver\n'));
    const pending = await rawRequest(statusUrl);
    t.is(pending.status, 200);
    t.is(xmlField(pending.body, 'status'), 'incomplete');
    t.is(xmlField(pending.body, 'batchSize'), '2');
    emulator.resumeProcessing();
    await emulator.waitForIdle();
    const done = await rawRequest(statusUrl);
    t.regex(done.body, /^<response><batchId>acme-\d+-\d+<\/batchId><status>complete<\/status><batchSize>2<\/batchSize><\/response>$/);
    t.is(xmlField(done.body, 'consumedCount'), undefined);
  });
});

test('processing is asynchronous: a delayed batch is not applied when the POST returns', async (t) => {
  await withEmulator({ settings: { processingDelayMs: 60_000 } }, async (emulator) => {
    const statusUrl = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold'));
    t.is(xmlField((await rawRequest(statusUrl)).body, 'status'), 'incomplete');
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), undefined);
  });
});

test('v2 lists failed rows as <profile><id/><status>failed</status></profile>; complete still carries failedUpdates', async (t) => {
  await withEmulator({}, async (emulator) => {
    const tooLong = 'x'.repeat(257);
    const { status, statusUrl } = await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,tier\nok-1,gold\n${tooLong},silver\nbad%2Fslash,gold\nok-2,bronze`);
    t.like(counts(status.body), { status: 'complete', batchSize: 4, successfulUpdates: 2, failedUpdates: 2 });
    t.true(status.body.includes(`<profile><id>${tooLong}</id><status>failed</status></profile><profile><id>bad/slash</id><status>failed</status></profile></response>`));
    // listed without showDetails too (setting failedProfilesIn: 'always')
    t.true((await rawRequest(statusUrl)).body.includes('<profile><id>bad/slash</id><status>failed</status></profile>'));
    emulator.configure({ failedProfilesIn: 'details' });
    t.false((await rawRequest(statusUrl)).body.includes('<profile>'));
  });
});

test('status URL styles: m2Node parameter and v2 path are served too', async (t) => {
  await withEmulator({ settings: { statusUrlStyle: 'm2node' } }, async (emulator) => {
    const url = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nx,1'));
    t.true(url.endsWith('&m2Node=00'));
    await emulator.waitForIdle();
    t.is(xmlField((await rawRequest(url)).body, 'status'), 'complete');
    emulator.configure({ statusUrlStyle: 'v2path' });
    const v2 = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\ny,1'));
    t.regex(v2, /\/m2\/acme\/v2\/profile\/batchStatus\?batchId=/);
    await emulator.waitForIdle();
    t.is(xmlField((await rawRequest(v2)).body, 'status'), 'complete');
  });
});

test('publicUrl replaces the host of returned status URLs', async (t) => {
  await withEmulator({ publicUrl: 'http://mboxedge45.tt.omtrdc.net/' }, async (emulator) => {
    const url = statusUrlOf(await postBatch(emulator, 'demo', 2, 'batch=thirdPartyId,a\nx,1'));
    t.regex(url, /^http:\/\/mboxedge45\.tt\.omtrdc\.net\/m2\/demo\/profile\/batchStatus\?batchId=demo-/);
  });
});

test('an unknown batchId answers status unknown (not failed) with the configured HTTP status', async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await rawRequest(`${emulator.url}/m2/acme/profile/batchStatus?batchId=acme-1-2`);
    t.is(answer.status, 404);
    t.is(xmlField(answer.body, 'status'), 'unknown');
    emulator.configure({ unknownBatchStatus: 200 });
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/batchStatus?batchId=acme-1-2`)).status, 200);
    // another client's batch is unknown too
    const url = statusUrlOf(await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nx,1'));
    const other = url.replace('/m2/acme/', '/m2/other/');
    t.is(xmlField((await rawRequest(other)).body, 'status'), 'unknown');
  });
});

test('wrong methods and unknown paths are refused', async (t) => {
  await withEmulator({}, async (emulator) => {
    const get = await rawRequest(`${emulator.url}/m2/acme/v2/profile/batchUpdate`);
    t.is(get.status, 405);
    t.is(get.headers.allow, 'POST');
    t.is((await rawRequest(`${emulator.url}/m2/acme/nothing`)).status, 404);
  });
});

test('rows apply in order: a later row for the same id in one batch adds to and overwrites the earlier one', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nx,1,2\nx,,3\nx,4');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/x'), { a: '4', b: '3' });
  });
});

test('names and values are case-sensitive and stored as strings', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,Tier,tier\nC-1,Gold,gold\nc-1,007');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/C-1'), { Tier: 'Gold', tier: 'gold' });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { Tier: '007' });
  });
});
