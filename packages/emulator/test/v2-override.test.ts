import test from 'ava';
import { attributesOf, submitAndWait, withEmulator, rawRequest } from './helpers.js';

test('consecutive v2 batches for a thirdPartyId with no mbox call between: the earlier batch is overridden', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,tier,city\nc-1,gold,Lyon\nc-2,silver,Paris');
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,score\nc-1,10');
    // c-1: tier and city are lost, not merged; c-2 was not in the second batch and keeps everything
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { score: '10' });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), { tier: 'silver', city: 'Paris' });
  });
});

test('an mbox call between the batches makes them merge', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,tier,city\nc-1,gold,Lyon');
    const mbox = await rawRequest(`${emulator.url}/_emulator/clients/acme/mbox`, { method: 'POST', body: JSON.stringify({ thirdPartyId: 'c-1' }), headers: { 'Content-Type': 'application/json' } });
    t.is(mbox.status, 200);
    t.like(JSON.parse(mbox.body), { thirdPartyId: 'c-1', created: false });
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,score\nc-1,10');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { tier: 'gold', city: 'Lyon', score: '10' });
    // ...and the window restarts: a third v2 batch overrides only what the second one set
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,level\nc-1,3');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { tier: 'gold', city: 'Lyon', level: '3' });
  });
});

test('attributes set since by other means (v1, single update, mbox) survive the override', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nc-1,1,2');
    await submitAndWait(emulator, 'acme', 1, 'batch=thirdPartyId,b,v1only\nc-1,20,x');
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,c\nc-1,3');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { b: '20', v1only: 'x', c: '3' });
  });
});

test('the override is per thirdPartyId: pcId v2 batches merge', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=pcId,a\np-1,1');
    await submitAndWait(emulator, 'acme', 2, 'batch=pcId,b\np-1,2');
    t.deepEqual(await attributesOf(emulator, 'acme', 'p-1'), { a: '1', b: '2' });
  });
});

test('v2Override: false turns the quirk off', async (t) => {
  await withEmulator({ settings: { v2Override: false } }, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1');
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,b\nc-1,2');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: '1', b: '2' });
  });
});
