import test from 'ava';
import { fetchProfile, rawRequest, submitAndWait, withEmulator } from './helpers.js';

test('fetch by thirdPartyId returns the documented JSON', async (t) => {
  let now = Date.parse('2026-11-28T17:53:39.003Z');
  await withEmulator({ clock: () => now }, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,loyaltyTier,lifetimeValue\nc-000017,gold,1200.50');
    now += 1000;
    const { status, json } = await fetchProfile(emulator, 'acme', 'thirdPartyId/c-000017');
    t.is(status, 200);
    t.deepEqual(json, {
      client: 'acme',
      visitorId: 'c-000017',
      modifiedAt: '2026-11-28T17:53:39.003Z',
      profileAttributes: {
        loyaltyTier: { value: 'gold', modifiedAt: '2026-11-28T17:53:39.003Z' },
        lifetimeValue: { value: '1200.50', modifiedAt: '2026-11-28T17:53:39.003Z' },
      },
    });
  });
});

test('fetch by tntId and by marketingCloudVisitorId; each attribute keeps its own modifiedAt', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  await withEmulator({ clock: () => now }, async (emulator) => {
    const ecid = '01234567890123456789012345678901234567';
    const { tntId } = emulator.simulateMboxCall('acme', { thirdPartyId: 'c-1', ecid, profile: { a: '1' } });
    t.regex(tntId, /^[0-9a-f]{32}\.28_0$/);
    now += 60_000;
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,b\nc-1,2');
    const byTnt = await fetchProfile(emulator, 'acme', encodeURIComponent(tntId));
    t.is(byTnt.status, 200);
    t.is(byTnt.json.visitorId, tntId);
    t.deepEqual(byTnt.json.profileAttributes, { a: { value: '1', modifiedAt: '2026-01-01T00:00:00.000Z' }, b: { value: '2', modifiedAt: '2026-01-01T00:01:00.000Z' } });
    const byEcid = await fetchProfile(emulator, 'acme', `marketingCloudVisitorId/${ecid}`);
    t.is(byEcid.status, 200);
    t.deepEqual(byEcid.json.profileAttributes, byTnt.json.profileAttributes);
  });
});

test('not found: the documented 404 bodies', async (t) => {
  await withEmulator({}, async (emulator) => {
    t.deepEqual(await fetchProfile(emulator, 'acme', 'thirdPartyId/c-000017'), { status: 404, json: { status: 404, message: 'No profile found for client acme with third party id=c-000017' } });
    t.deepEqual(await fetchProfile(emulator, 'acme', '84e8d0e211054f18af365d65f45e902b.28_131'), { status: 404, json: { status: 404, message: 'No profile found for client acme with mboxPC=84e8d0e211054f18af365d65f45e902b.28_131' } });
    t.is((await fetchProfile(emulator, 'acme', 'marketingCloudVisitorId/1')).status, 404);
  });
});

test('profiles are per client', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1');
    t.is((await fetchProfile(emulator, 'other', 'thirdPartyId/c-1')).status, 404);
  });
});

test('profile TTL: a profile without activity for 14 days is gone; activity refreshes it; fetch does not', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1\nc-2,1');
    emulator.advanceClock(13 * 86_400_000);
    t.is((await fetchProfile(emulator, 'acme', 'thirdPartyId/c-1')).status, 200);
    emulator.simulateMboxCall('acme', { thirdPartyId: 'c-2' });
    emulator.advanceClock(86_400_000);
    t.is((await fetchProfile(emulator, 'acme', 'thirdPartyId/c-1')).status, 404);
    t.is((await fetchProfile(emulator, 'acme', 'thirdPartyId/c-2')).status, 200);
    // an expired profile is not found by v1 either, and v2 starts it afresh
    const v1 = await submitAndWait(emulator, 'acme', 1, 'batch=thirdPartyId,b\nc-1,2');
    t.regex(v1.status.body, /<profilesNotFound>1<\/profilesNotFound>/);
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,b\nc-1,2');
    t.deepEqual(Object.keys((await fetchProfile(emulator, 'acme', 'thirdPartyId/c-1')).json.profileAttributes as object), ['b']);
  });
});

test('fetch without ?client= is a 400', async (t) => {
  await withEmulator({}, async (emulator) => {
    t.is((await rawRequest(`${emulator.url}/rest/v1/profiles/thirdPartyId/x`)).status, 400);
  });
});
