import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { startEmulator } from '../src/index.js';
import { attributesOf, postBatch, rawRequest, statusUrlOf, submitAndWait, xmlField } from './helpers.js';

function tempDb(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-emulator-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state.db');
}

test('profiles, batch statuses, client settings and tokens survive a restart with a db file', async (t) => {
  const dbPath = tempDb(t);
  const first = await startEmulator({ dbPath });
  first.configureClient('acme', { requireAuth: true });
  const { token } = first.generateToken('acme');
  const auth = { Authorization: `Bearer ${token}` };
  const { statusUrl } = await submitAndWait(first, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold', auth);
  await first.close();

  const second = await startEmulator({ dbPath });
  try {
    t.true(second.settingsFor('acme').requireAuth);
    const status = await rawRequest(statusUrl.replace(new URL(statusUrl).origin, second.url), { headers: auth });
    t.is(xmlField(status.body, 'status'), 'complete');
    t.deepEqual(second.getProfile('acme', { thirdPartyId: 'c-1' })?.profileAttributes.tier?.value, 'gold');
    t.is((await postBatch(second, 'acme', 2, 'batch=thirdPartyId,tier\nc-2,x')).status, 403);
    // batchIds stay unique across restarts
    const next = await postBatch(second, 'acme', 2, 'batch=thirdPartyId,tier\nc-2,x', auth);
    t.not(new URL(statusUrlOf(next)).searchParams.get('batchId'), new URL(statusUrl).searchParams.get('batchId'));
  } finally {
    await second.close();
  }
});

test('the db file never holds a usable token', async (t) => {
  const dbPath = tempDb(t);
  const emulator = await startEmulator({ dbPath });
  const { token } = emulator.generateToken('acme');
  await emulator.close();
  const bytes = Buffer.concat([readFileSync(dbPath), ...['-wal'].flatMap((suffix) => { try { return [readFileSync(dbPath + suffix)]; } catch { return []; } })]);
  t.false(bytes.includes(Buffer.from(token)));
});

test('a batch left incomplete by a stopped emulator is stuck after the restart', async (t) => {
  const dbPath = tempDb(t);
  const first = await startEmulator({ dbPath });
  first.pauseProcessing();
  const statusUrl = statusUrlOf(await postBatch(first, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold'));
  await first.close();
  const second = await startEmulator({ dbPath });
  try {
    t.is(xmlField((await rawRequest(statusUrl.replace(new URL(statusUrl).origin, second.url))).body, 'status'), 'stuck');
    t.is(await attributesOf(second, 'acme', 'thirdPartyId/c-1'), undefined);
  } finally {
    await second.close();
  }
});

test('in memory by default: a restart starts empty', async (t) => {
  const first = await startEmulator();
  await submitAndWait(first, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold');
  await first.close();
  const second = await startEmulator();
  try {
    t.is(second.getProfile('acme', { thirdPartyId: 'c-1' }), undefined);
  } finally {
    await second.close();
  }
});
