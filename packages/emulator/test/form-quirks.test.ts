import test from 'ava';
import { attributesOf, counts, postBatch, submitAndWait, withEmulator, xmlField } from './helpers.js';

test('a raw % rejects the whole batch: HTTP 200, success=false, "Unexpected error", no batchStatus', async (t) => {
  await withEmulator({}, async (emulator) => {
    for (const body of ['batch=thirdPartyId,note\nc-1,50% off', 'batch=thirdPartyId,note\nc-1,100%', 'batch=thirdPartyId,note\nc-1,%zz', 'batch=thirdPartyId,note\nc-1,ok&x=%G1']) {
      const answer = await postBatch(emulator, 'acme', 2, body);
      t.is(answer.status, 200, body);
      t.is(answer.body, '<response><success>false</success><message>Unexpected error</message></response>', body);
    }
    t.deepEqual(emulator.listBatches('acme'), []);
  });
});

test('a raw & silently cuts the batch: later rows are lost', async (t) => {
  await withEmulator({}, async (emulator) => {
    const { status } = await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,note\nc-1,fish & chips\nc-2,kept?');
    t.like(counts(status.body), { batchSize: 1, successfulUpdates: 1 });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { note: 'fish ' });
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), undefined);
  });
});

test('a raw & right after the header leaves "Batch is empty"', async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,note&\nc-1,x');
    t.is(answer.status, 200);
    t.is(xmlField(answer.body, 'success'), 'false');
    t.is(xmlField(answer.body, 'message'), 'Batch is empty');
  });
});

test('+ becomes a space; %2B is a plus; percent-encoded UTF-8 decodes', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,raw,encoded,city\nc-1,a+b,a%2Bb,M%C3%BCnchen');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { raw: 'a b', encoded: 'a+b', city: 'München' });
  });
});

test('the body is decoded once before splitting: %2C and %0A turn back into delimiters', async (t) => {
  await withEmulator({}, async (emulator) => {
    const { status } = await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nc-1,x%2Cy\nc-2,one%0Ac-3,two');
    t.like(counts(status.body), { batchSize: 3 });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: 'x', b: 'y' });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-3'), { a: 'two' });
  });
});

test('CSV double quotes are not honoured', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nc-1,"x,y"');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: '"x', b: 'y"' });
  });
});

test('nothing after the header answers "Batch is empty" (blank lines are not rows)', async (t) => {
  await withEmulator({}, async (emulator) => {
    for (const body of ['batch=thirdPartyId,a', 'batch=thirdPartyId,a\n', 'batch=thirdPartyId,a\n\n\r\n']) {
      const answer = await postBatch(emulator, 'acme', 2, body);
      t.is(answer.status, 200);
      t.is(answer.body, '<response><success>false</success><message>Batch is empty</message></response>');
    }
  });
});

test('empty cells never clear an attribute', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 1, 'batch=thirdPartyId,a\nnobody,1');
    emulator.simulateMboxCall('acme', { thirdPartyId: 'c-1', profile: { a: '1', b: '2' } });
    const { status } = await submitAndWait(emulator, 'acme', 1, 'batch=thirdPartyId,a,b\nc-1,,\nc-1,,3\nc-1');
    t.like(counts(status.body), { successfulUpdates: 3 });
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: '1', b: '3' });
  });
});

test('a batch of only empty values is skipped: accepted, nothing applied, no profile created', async (t) => {
  await withEmulator({}, async (emulator) => {
    const { status } = await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nc-1,,\nc-2');
    t.like(counts(status.body), { status: 'complete', batchSize: 2 });
    t.is(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), undefined);
    // the other reading, as a setting
    emulator.configure({ emptyOnlyBatch: 'batch-is-empty' });
    const answer = await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a,b\nc-1,,\nc-2');
    t.is(xmlField(answer.body, 'message'), 'Batch is empty');
  });
});

test('the key header must be exactly pcId or thirdPartyId', async (t) => {
  await withEmulator({}, async (emulator) => {
    for (const header of ['thirdpartyid', 'ThirdPartyId', 'mbox3rdPartyId', 'marketingCloudVisitorId', 'pcid', ' pcId', '']) {
      const answer = await postBatch(emulator, 'acme', 2, `batch=${header},a\nx,1`);
      t.is(answer.status, 200, header);
      t.is(xmlField(answer.body, 'success'), 'false', header);
      t.regex(xmlField(answer.body, 'message')!, /first column must be pcId or thirdPartyId/, header);
    }
    emulator.configure({ keyHeaderCaseSensitive: false });
    t.is(xmlField((await postBatch(emulator, 'acme', 2, 'batch=thirdpartyid,a\nx,1')).body, 'success'), 'true');
  });
});

test('a body without a batch field is refused (status per refusalStatus)', async (t) => {
  await withEmulator({}, async (emulator) => {
    const answer = await postBatch(emulator, 'acme', 2, 'thirdPartyId,a\nx,1');
    t.is(answer.status, 200);
    t.regex(xmlField(answer.body, 'message')!, /batch=/);
    emulator.configure({ refusalStatus: 400 });
    t.is((await postBatch(emulator, 'acme', 2, 'data=thirdPartyId,a\nx,1')).status, 400);
  });
});

test('CRLF line endings: the CR is dropped by default, kept in the last value when stripCarriageReturn is off', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\r\nc-1,x\r\n');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: 'x' });
    emulator.configure({ stripCarriageReturn: false });
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-2,x\r\n');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), { a: 'x\r' });
  });
});

test('spaces are kept by default and trimmed with trimCells', async (t) => {
  await withEmulator({}, async (emulator) => {
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,%20x%20');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-1'), { a: ' x ' });
    emulator.configure({ trimCells: true });
    await submitAndWait(emulator, 'acme', 2, 'batch=thirdPartyId, a \nc-2 , x ');
    t.deepEqual(await attributesOf(emulator, 'acme', 'thirdPartyId/c-2'), { a: 'x' });
  });
});

test('Content-Type is not checked unless requireFormContentType is on', async (t) => {
  await withEmulator({}, async (emulator) => {
    const body = 'batch=thirdPartyId,a\nc-1,x';
    t.is(xmlField((await postBatch(emulator, 'acme', 2, body, { 'Content-Type': 'text/plain' })).body, 'success'), 'true');
    emulator.configure({ requireFormContentType: true });
    t.is(xmlField((await postBatch(emulator, 'acme', 2, body, { 'Content-Type': 'text/plain' })).body, 'success'), 'false');
    t.is(xmlField((await postBatch(emulator, 'acme', 2, body)).body, 'success'), 'true');
  });
});
