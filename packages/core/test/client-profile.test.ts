import test from 'ava';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { TargetClient } from '../src/client/target-client.js';
import { startScriptedServer } from './client-test-server.js';
import type { Step } from './client-test-server.js';

async function setup(t: { teardown(fn: () => Promise<void>): void }, steps: Step[]) {
  const server = await startScriptedServer(steps);
  let acquired = 0;
  const client = new TargetClient({ client: 'acme', baseUrl: server.url, token: 'tok-1', rateLimiter: { acquire: async () => void acquired++, penalize: () => undefined } });
  t.teardown(async () => {
    await client.destroy();
    await server.close();
  });
  return { server, client, acquired: () => acquired };
}

const PROFILE = JSON.stringify({
  client: 'acme',
  visitorId: 'c-000017',
  modifiedAt: '2026-11-28T17:53:39.003Z',
  profileAttributes: { loyaltyTier: { value: 'gold', modifiedAt: '2026-11-28T17:53:39.003Z' }, city: { value: 'München' } },
});

test('fetchProfile by thirdPartyId, pcId and ECID hits the documented paths, outside the rate budget', async (t) => {
  const { server, client, acquired } = await setup(t, [{ status: 200, body: PROFILE, headers: { 'content-type': 'application/json' } }]);
  const lookup = await client.fetchProfile('c/0 17');
  t.true(lookup.found);
  if (lookup.found) {
    t.is(lookup.profile.visitorId, 'c-000017');
    t.deepEqual(lookup.profile.profileAttributes.city, { value: 'München' });
    t.is(lookup.profile.profileAttributes.loyaltyTier?.value, 'gold');
  }
  await client.fetchProfile({ pcId: '84e8d0e211054f18af365d65f45e902b.28_131' });
  await client.fetchProfile({ marketingCloudVisitorId: '01234567890123456789012345678901234567' });
  t.deepEqual(server.requests.map((r) => r.url), [
    '/rest/v1/profiles/thirdPartyId/c%2F0%2017?client=acme',
    '/rest/v1/profiles/84e8d0e211054f18af365d65f45e902b.28_131?client=acme',
    '/rest/v1/profiles/marketingCloudVisitorId/01234567890123456789012345678901234567?client=acme',
  ]);
  t.is(server.requests[0]?.headers.authorization, 'Bearer tok-1');
  t.is(acquired(), 0);
});

test('not found is a value, with Target’s message, whether HTTP 404 or 200', async (t) => {
  const notFound = JSON.stringify({ status: 404, message: 'No profile found for client acme with third party id=c-9' });
  const { client } = await setup(t, [{ status: 404, body: notFound }, { status: 200, body: notFound }, { status: 404, body: '<html>nope</html>' }]);
  t.deepEqual(await client.fetchProfile('c-9'), { found: false, message: 'No profile found for client acme with third party id=c-9' });
  t.false((await client.fetchProfile('c-9')).found);
  t.deepEqual(await client.fetchProfile('c-9'), { found: false, message: 'HTTP 404' });
});

test('a malformed profile answer is TARGET_BAD_RESPONSE', async (t) => {
  const bodies = ['not json', '[]', '{"profileAttributes":[]}', '{"profileAttributes":{"a":{"value":3}}}', '{"profileAttributes":{"a":"x"}}'];
  const { client } = await setup(t, bodies.map((body) => ({ status: 200, body })));
  for (const body of bodies) t.true(isBulkpipeError(await t.throwsAsync(client.fetchProfile('c-1')), ErrorCode.TARGET_BAD_RESPONSE), body);
});

test('singleUpdate POSTs percent-encoded profile.{name}={value} form data; GET puts it in the query', async (t) => {
  const answer = '<response><success>true</success><pcId>abc.28_0</pcId><message>Request successfully submitted</message></response>';
  const { server, client } = await setup(t, [{ status: 200, body: answer }]);
  t.deepEqual(await client.singleUpdate({ profile: { thirdPartyId: 'c+1' }, attributes: { city: 'München', note: '50% off & more' } }), {
    success: true,
    pcId: 'abc.28_0',
    message: 'Request successfully submitted',
  });
  await client.singleUpdate({ profile: { pcId: 'abc.28_0' }, attributes: { tier: 'gold silver' }, method: 'GET' });
  const [post, get] = server.requests;
  t.is(post?.url, '/m2/acme/profile/update');
  t.is(post?.headers['content-type'], 'application/x-www-form-urlencoded');
  t.is(post?.body.toString(), 'mbox3rdPartyId=c%2B1&profile.city=M%C3%BCnchen&profile.note=50%25%20off%20%26%20more');
  t.is(get?.method, 'GET');
  t.is(get?.url, '/m2/acme/profile/update?mboxPC=abc.28_0&profile.tier=gold%20silver');
});

test('singleUpdate refuses what Target would refuse: success=false, and a GET over 8 KB', async (t) => {
  const { server, client } = await setup(t, [{ status: 200, body: '<response><success>false</success><message>Invalid request</message></response>' }]);
  const refused = await t.throwsAsync(client.singleUpdate({ profile: { thirdPartyId: 'c-1' }, attributes: { a: 'b' } }));
  t.true(isBulkpipeError(refused, ErrorCode.TARGET_REJECTED));
  t.regex(refused?.message ?? '', /Invalid request/);
  const tooBig = await t.throwsAsync(client.singleUpdate({ profile: { thirdPartyId: 'c-1' }, attributes: { a: 'x'.repeat(9000) }, method: 'GET' }));
  t.true(isBulkpipeError(tooBig, ErrorCode.INVALID_OPTION));
  t.is(server.requests.length, 1);
});
