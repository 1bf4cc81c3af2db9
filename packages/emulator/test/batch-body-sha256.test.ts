import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import { startEmulator } from '../src/index.js';
import { postBatch, rawRequest, withEmulator } from './helpers.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

test('every accepted batch records the SHA-256 of its body as received, so acceptances of the same content can be counted', async (t) => {
  await withEmulator({ settings: { processingDelayMs: 0 }, faults: ['reset:when=after-accept,times=1'] }, async (emulator) => {
    const body = 'batch=thirdPartyId,tier\nc-1,gold%20plus';
    // the first copy is accepted but its answer is lost (the connection is cut), the second is answered
    await t.throwsAsync(postBatch(emulator, 'acme', 2, body));
    t.is((await postBatch(emulator, 'acme', 2, body)).status, 200);
    t.is((await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,tier\nc-2,x')).status, 200);
    // refused bodies leave no batch, so no digest
    t.is((await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,tier\nc-3,100%')).status, 200);
    const digests = emulator.listBatches('acme').map((batch) => batch.bodySha256);
    t.deepEqual(digests.sort(), [sha256(body), sha256(body), sha256('batch=thirdPartyId,tier\nc-2,x')].sort());
    const admin = (await rawRequest(`${emulator.url}/_emulator/clients/acme/batches`)).body;
    t.is((JSON.parse(admin) as { batches: { bodySha256: string }[] }).batches.filter((batch) => batch.bodySha256 === sha256(body)).length, 2);
  });
});

test('a database file written before body digests existed gains the column; its old batches show null', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-emulator-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'state.db');
  const first = await startEmulator({ dbPath, settings: { processingDelayMs: 0 } });
  await postBatch(first, 'acme', 2, 'batch=thirdPartyId,tier\nc-1,gold');
  await first.waitForIdle();
  await first.close();
  // simulate the older schema: the same table without the column
  const db = new Database(dbPath);
  db.exec('ALTER TABLE batches DROP COLUMN body_sha256');
  db.close();

  const second = await startEmulator({ dbPath, settings: { processingDelayMs: 0 } });
  try {
    await postBatch(second, 'acme', 2, 'batch=thirdPartyId,tier\nc-2,silver');
    const digests = second.listBatches('acme').map((batch) => batch.bodySha256);
    t.deepEqual(digests.sort(), [null, sha256('batch=thirdPartyId,tier\nc-2,silver')].sort());
  } finally {
    await second.close();
  }
});
