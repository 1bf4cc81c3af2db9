import test from 'ava';
import { postBatch, rawRequest, statusUrlOf, withEmulator, xmlField } from './helpers.js';

const BODY = 'batch=thirdPartyId,a\nc-1,1';

test('the 51st bulk call within a rolling minute is a 503 with a body; the window rolls', async (t) => {
  let now = 1_000_000;
  await withEmulator({ clock: () => now }, async (emulator) => {
    for (let i = 0; i < 50; i++) {
      t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
      now += 1000; // calls at t = 0 s … 49 s
    }
    now = 1_000_000 + 59_999;
    const limited = await postBatch(emulator, 'acme', 2, BODY);
    t.is(limited.status, 503);
    t.is(xmlField(limited.body, 'success'), 'false');
    t.regex(xmlField(limited.body, 'message')!, /Rate limit exceeded/);
    t.is(limited.headers['retry-after'], undefined);
    // the first call leaves the window at exactly +60 s
    now = 1_000_000 + 60_000;
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 503);
  });
});

test('the limit is per client, and v1 and v2 share it', async (t) => {
  const now = 5_000;
  await withEmulator({ clock: () => now, settings: { rateLimitCalls: 2 } }, async (emulator) => {
    t.is((await postBatch(emulator, 'acme', 1, BODY)).status, 200);
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
    t.is((await postBatch(emulator, 'acme', 1, BODY)).status, 503);
    t.is((await postBatch(emulator, 'other', 2, BODY)).status, 200);
  });
});

test('status polls count toward the limit by default, and not with countStatusPolls off', async (t) => {
  const now = 5_000;
  await withEmulator({ clock: () => now, settings: { rateLimitCalls: 3 } }, async (emulator) => {
    const url = statusUrlOf(await postBatch(emulator, 'acme', 2, BODY));
    t.is((await rawRequest(url)).status, 200);
    t.is((await rawRequest(url)).status, 200);
    t.is((await rawRequest(url)).status, 503);
    emulator.configureClient('other', { countStatusPolls: false, rateLimitCalls: 1 });
    const other = statusUrlOf(await postBatch(emulator, 'other', 2, BODY));
    for (let i = 0; i < 3; i++) t.is((await rawRequest(other)).status, 200);
  });
});

test('refused calls do not extend the penalty; Retry-After is sent when enabled', async (t) => {
  let now = 0;
  await withEmulator({ clock: () => now, settings: { rateLimitCalls: 1, rateLimitWindowMs: 10_000, rateLimitRetryAfter: true } }, async (emulator) => {
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
    now = 2_500;
    const limited = await postBatch(emulator, 'acme', 2, BODY);
    t.is(limited.status, 503);
    t.is(limited.headers['retry-after'], '8');
    now = 9_999;
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 503);
    now = 10_000;
    t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
  });
});

test('rateLimitCalls 0 turns the limit off; fetch is never limited', async (t) => {
  await withEmulator({ settings: { rateLimitCalls: 0 } }, async (emulator) => {
    for (let i = 0; i < 60; i++) t.is((await postBatch(emulator, 'acme', 2, BODY)).status, 200);
    emulator.configure({ rateLimitCalls: 1 });
    for (let i = 0; i < 3; i++) t.is((await rawRequest(`${emulator.url}/rest/v1/profiles/thirdPartyId/c-1?client=acme`)).status !== 503, true);
  });
});
