import test from 'ava';
import { postBatch, rawRequest, statusUrlOf, withEmulator, xmlField } from './helpers.js';

const BODY = 'batch=thirdPartyId,a\nc-1,1';

test('with requireAuth, every profile API call needs the bearer token; missing or wrong → 403', async (t) => {
  await withEmulator({ clients: { acme: { requireAuth: true } } }, async (emulator) => {
    const { token } = emulator.generateToken('acme');
    const auth = { Authorization: `Bearer ${token}` };

    const missing = await postBatch(emulator, 'acme', 2, BODY);
    t.is(missing.status, 403);
    t.is(xmlField(missing.body, 'success'), 'false');
    t.false(missing.body.includes(token));
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: 'Bearer nope' })).status, 403);

    const accepted = await postBatch(emulator, 'acme', 2, BODY, auth);
    t.is(accepted.status, 200);
    const statusUrl = statusUrlOf(accepted);
    t.is((await rawRequest(statusUrl)).status, 403);
    t.is((await rawRequest(statusUrl, { headers: auth })).status, 200);

    await emulator.waitForIdle();
    const fetchUrl = `${emulator.url}/rest/v1/profiles/thirdPartyId/c-1?client=acme`;
    const fetchDenied = await rawRequest(fetchUrl);
    t.is(fetchDenied.status, 403);
    t.like(JSON.parse(fetchDenied.body), { status: 403 });
    t.is((await rawRequest(fetchUrl, { headers: auth })).status, 200);
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=c-1&profile.b=2`)).status, 403);
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/update?mbox3rdPartyId=c-1&profile.b=2`, { headers: auth })).status, 200);

    // other clients are unaffected
    t.is((await postBatch(emulator, 'other', 2, BODY)).status, 200);
  });
});

test('generating a new token invalidates the old one (rotation)', async (t) => {
  await withEmulator({ settings: { requireAuth: true } }, async (emulator) => {
    const first = emulator.generateToken('acme').token;
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Bearer ${first}` })).status, 200);
    const second = emulator.generateToken('acme').token;
    t.not(first, second);
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Bearer ${first}` })).status, 403);
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Bearer ${second}` })).status, 200);
    emulator.revokeToken('acme');
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Bearer ${second}` })).status, 403);
  });
});

test('tokens expire; 401 instead of 403 by setting', async (t) => {
  let now = 0;
  await withEmulator({ clock: () => now, settings: { requireAuth: true, tokenTtlMs: 3_600_000, authFailureStatus: 401 } }, async (emulator) => {
    const { token, expiresAt } = emulator.generateToken('acme');
    t.is(expiresAt, 3_600_000);
    const auth = { Authorization: `Bearer ${token}` };
    now = 3_599_999;
    t.is((await postBatch(emulator, 'acme', 2, BODY, auth)).status, 200);
    now = 3_600_000;
    const expired = await postBatch(emulator, 'acme', 2, BODY, auth);
    t.is(expired.status, 401);
    t.regex(xmlField(expired.body, 'message')!, /expired/);
    // an explicit lifetime overrides the setting
    const forever = emulator.generateToken('acme', { expiresInMs: null });
    t.is(forever.expiresAt, null);
  });
});

test('tokens through the admin API; the token is returned once and never appears in the call log or client summary', async (t) => {
  const lines: string[] = [];
  await withEmulator({ log: (line) => lines.push(line) }, async (emulator) => {
    const patched = await rawRequest(`${emulator.url}/_emulator/clients/acme`, { method: 'PATCH', body: JSON.stringify({ requireAuth: true }), headers: { 'Content-Type': 'application/json' } });
    t.is(patched.status, 200);
    const created = await rawRequest(`${emulator.url}/_emulator/clients/acme/tokens`, { method: 'POST', body: JSON.stringify({ expiresInMs: 60_000 }), headers: { 'Content-Type': 'application/json' } });
    t.is(created.status, 201);
    const { token, expiresAt } = JSON.parse(created.body) as { token: string; expiresAt: string };
    t.regex(token, /^[A-Za-z0-9_-]{43}$/);
    t.truthy(Date.parse(expiresAt));
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Bearer ${token}` })).status, 200);
    const summary = await rawRequest(`${emulator.url}/_emulator/clients/acme`);
    t.like(JSON.parse(summary.body), { auth: { requireAuth: true, hasToken: true } });
    const everything = [summary.body, (await rawRequest(`${emulator.url}/_emulator/calls`)).body, lines.join('\n')].join('\n');
    t.false(everything.includes(token));
  });
});

test('the Authorization scheme must be Bearer', async (t) => {
  await withEmulator({ settings: { requireAuth: true } }, async (emulator) => {
    const { token } = emulator.generateToken('acme');
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `Basic ${token}` })).status, 403);
    t.is((await postBatch(emulator, 'acme', 2, BODY, { Authorization: `bearer ${token}` })).status, 200);
  });
});
