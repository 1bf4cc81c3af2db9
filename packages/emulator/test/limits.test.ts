import { request } from 'node:http';
import test from 'ava';
import { attributesOf, counts, postBatch, rawRequest, submitAndWait, withEmulator, xmlField } from './helpers.js';

test('a body of maxBatchBytes or more is refused; one byte less is accepted', async (t) => {
  await withEmulator({ settings: { maxBatchBytes: 64 } }, async (emulator) => {
    const head = 'batch=thirdPartyId,a\n';
    const fits = `${head}${'x'.repeat(63 - head.length - 2)},1`;
    t.is(fits.length, 63);
    t.is(xmlField((await postBatch(emulator, 'acme', 2, fits)).body, 'success'), 'true');
    const refused = await postBatch(emulator, 'acme', 2, `${fits}2`);
    t.is(refused.status, 200);
    t.is(xmlField(refused.body, 'success'), 'false');
    t.regex(xmlField(refused.body, 'message')!, /smaller than 64 bytes/);
  });
});

test('an endless chunked upload is answered at the limit, not buffered to its end', async (t) => {
  await withEmulator({ settings: { maxBatchBytes: 1_000_000 } }, async (emulator) => {
    // no Content-Length: the server must count while reading and stop; the client would never stop on its own
    const answer = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' } }, (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          clearInterval(pump);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, sent });
        });
      });
      // once answered, the server may cut the connection while this client still writes: that error is expected
      req.on('error', (error) => {
        clearInterval(pump);
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      req.write('batch=thirdPartyId,a\n');
      const pump = setInterval(() => {
        for (let i = 0; i < 8 && sent < 2_000_000_000; i++) {
          req.write(chunk);
          sent += chunk.length;
        }
      }, 1);
    });
    t.is(answer.status, 200);
    t.regex(answer.body, /<success>false<\/success><message>Batch size exceeds the limit/);
    t.true(answer.sent < 200_000_000, `client had sent ${answer.sent} bytes`);
  });
});

test('a declared Content-Length at the limit is refused before any of the body is read', async (t) => {
  await withEmulator({ settings: { maxBatchBytes: 1000 } }, async (emulator) => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', headers: { 'Content-Length': '5000000000' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('batch=thirdPartyId,a\n');
      // never finishes the 5 GB it announced
    });
    t.regex(answer.body, /Batch size exceeds the limit/);
  });
});

test('more than maxBatchRows data rows are refused; exactly maxBatchRows are accepted', async (t) => {
  await withEmulator({ settings: { maxBatchRows: 3 } }, async (emulator) => {
    t.is(xmlField((await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\n1,a\n2,b\n3,c\n')).body, 'success'), 'true');
    const refused = await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\n1,a\n2,b\n3,c\n4,d');
    t.is(xmlField(refused.body, 'success'), 'false');
    t.regex(xmlField(refused.body, 'message')!, /limit of 3 rows/);
  });
});

test('the 64 KB external-data cap fails the row that would pass it, and keeps the profile as it was', async (t) => {
  await withEmulator({}, async (emulator) => {
    const half = 'v'.repeat(32 * 1024);
    const { status } = await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,a,b\nc-1,${half}\nc-2,${half},${half}`);
    t.like(counts(status.body), { successfulUpdates: 1, failedUpdates: 1 });
    t.true(status.body.includes('<profile><id>c-2</id><status>failed</status></profile>'));
    // c-1 holds 1 + 32768 bytes; adding b (1 + 32768) passes 65536
    const second = await submitAndWait(emulator, 'acme', 1, `batch=thirdPartyId,b\nc-1,${half}`);
    t.like(counts(second.status.body), { failedUpdates: 1 });
    t.deepEqual(Object.keys((await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'))!), ['a']);
    // multi-byte characters count as their UTF-8 bytes
    const euros = '€'.repeat(21_845); // 65,535 bytes + the name: 65,536, the cap itself, fits
    t.like(counts((await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,e\nc-4,${encodeURIComponent(euros)}`)).status.body), { failedUpdates: 0 });
    const third = await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,e\nc-3,${encodeURIComponent(`${euros}€`)}`);
    t.like(counts(third.status.body), { failedUpdates: 1 });
  });
});

test('ids: thirdPartyId over 256 chars, with + or /, pcId over 128 chars, or empty fail their row', async (t) => {
  await withEmulator({}, async (emulator) => {
    const ok256 = 'a'.repeat(256);
    const { status } = await submitAndWait(emulator, 'acme', 2, `batch=thirdPartyId,x\n${ok256},1\n${ok256}b,1\na%2Bb,1\na%2Fb,1\n,1`);
    t.like(counts(status.body), { batchSize: 5, successfulUpdates: 1, failedUpdates: 4 });
    const pc = await submitAndWait(emulator, 'acme', 2, `batch=pcId,x\n${'p'.repeat(128)},1\n${'p'.repeat(129)},1`);
    t.like(counts(pc.status.body), { successfulUpdates: 1, failedUpdates: 1 });
  });
});

test('attribute names longer than 128 characters refuse the batch', async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await postBatch(emulator, 'acme', 2, `batch=thirdPartyId,${'n'.repeat(129)}\nx,1`);
    t.is(xmlField(answer.body, 'success'), 'false');
    t.regex(xmlField(answer.body, 'message')!, /longer than 128/);
    t.is(xmlField((await postBatch(emulator, 'acme', 2, `batch=thirdPartyId,${'n'.repeat(128)}\nx,1`)).body, 'success'), 'true');
  });
});

test('an extra cell beyond the header is ignored', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1,2,3');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: '1' });
    t.is((await rawRequest(`${emulator.url}/m2/acme/profile/batchStatus`)).status, 400);
  });
});
