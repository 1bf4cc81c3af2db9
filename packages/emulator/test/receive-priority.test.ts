import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { postBatch, statusUrlOf, withEmulator } from './helpers.js';

function batchOf(rows: number, prefix: string): string {
  const lines = ['batch=thirdPartyId,tier'];
  for (let i = 0; i < rows; i++) lines.push(`${prefix}-${i},gold`);
  return lines.join('\n');
}

// Regression: while a batch was applied, a 50 MB upload got one read per applied chunk and took 3-5 s
// (bench:upload); the processor now holds its next chunk while a body is being received.
test('a queued batch is not applied while another batch body is still arriving, and is applied once it has', async (t) => {
  await withEmulator({ chunkRows: 10 }, async (emulator) => {
    emulator.pauseProcessing();
    const first = await postBatch(emulator, 'acme', 2, batchOf(100, 'a'));
    const batchId = new URL(statusUrlOf(first)).searchParams.get('batchId')!;

    const second = Buffer.from(batchOf(100, 'b'));
    const answered = new Promise<number>((resolve, reject) => {
      const req = request(
        `${emulator.url}/m2/acme/v2/profile/batchUpdate`,
        { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(second.length) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(second.subarray(0, 100));
      // the rest arrives later: the server is receiving this body meanwhile
      void sleep(150).then(() => req.end(second.subarray(100)));
    });
    await sleep(30);
    emulator.resumeProcessing();
    await sleep(60);
    t.is(emulator.batch(batchId)?.consumedCount, 0, 'no chunk of the queued batch ran while the body was arriving');

    t.is(await answered, 200);
    await emulator.waitForIdle();
    const batches = emulator.listBatches('acme');
    t.deepEqual(
      batches.map((batch) => [batch.status, batch.successfulUpdates]),
      [
        ['complete', 100],
        ['complete', 100],
      ],
    );
  });
});
