import test from 'ava';
import { attributesOf, rawRequest, withEmulator, xmlField } from './helpers.js';

test('GET single update by mbox3rdPartyId updates an existing profile and answers the documented XML', async (t) => {
  await withEmulator({}, async (emulator) => {
    const { tntId } = emulator.simulateMboxCall('acme', { thirdPartyId: '123456' });
    const answer = await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=123456&profile.attr=0&profile.attr2=1&profile.city=M%C3%BCnchen&profile.plus=a+b`);
    t.is(answer.status, 200);
    t.is(answer.body, `<response><success>true</success><pcId>${tntId}</pcId><message>Request successfully submitted</message></response>`);
    await emulator.waitForIdle();
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/123456'), { attr: '0', attr2: '1', city: 'München', plus: 'a b' });
  });
});

test('POST single update by mboxPC with a form body', async (t) => {
  await withEmulator({}, async (emulator) => {
    emulator.simulateMboxCall('acme', { tntId: '1368007744041-575948.01_00' });
    const answer = await rawRequest(`${emulator.url}/m2/acme/profile/update`, { body: 'mboxPC=1368007744041-575948.01_00&profile.attr=0&profile.empty=' });
    t.is(xmlField(answer.body, 'success'), 'true');
    await emulator.waitForIdle();
    t.deepEqual(await attributesOf(emulator, 'acme', '1368007744041-575948.01_00'), { attr: '0' });
  });
});

test('single update never creates a profile', async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=nobody&profile.a=1`);
    t.is(xmlField(answer.body, 'success'), 'true');
    await emulator.waitForIdle();
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/nobody'), undefined);
  });
});

test('single update limits: 8 KB by GET, 60 KB by POST', async (t) => {
  await withEmulator({}, async (emulator) => {
    const path = `/m2/acme/profile/update?mbox3rdPartyId=x&profile.a=`;
    t.is((await rawRequest(`${emulator.url}${path}${'v'.repeat(8192 - path.length)}`)).status, 200);
    t.is((await rawRequest(`${emulator.url}${path}${'v'.repeat(8193 - path.length)}`)).status, 414);
    const body = 'mbox3rdPartyId=x&profile.a=';
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update`, { body: `${body}${'v'.repeat(61_439 - body.length)}` })).status, 200);
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update`, { body: `${body}${'v'.repeat(61_440 - body.length)}` })).status, 413);
  });
});

test('single update: a malformed escape is "Unexpected error"; a missing id is refused', async (t) => {
  await withEmulator({}, async (emulator) => {
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=x&profile.a=50%`)).body, '<response><success>false</success><message>Unexpected error</message></response>');
    t.is(xmlField((await rawRequest(`${emulator.url}/m2/acme/profile/update?profile.a=1`)).body, 'success'), 'false');
  });
});

test('single updates are not under the 50-calls rate limit', async (t) => {
  await withEmulator({ settings: { rateLimitCalls: 1 } }, async (emulator) => {
    for (let i = 0; i < 3; i++) t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=x&profile.a=${i}`)).status, 200);
  });
});
