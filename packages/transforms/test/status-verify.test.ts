import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runUpload } from '../src/assemble/upload-run.js';
import { verifySample } from '../src/status/verify-sample.js';
import { CLIENT, context, emulator, exportCsv, fastRun, tempDir } from './upload-helpers.js';

test('verify: every sampled profile holds the values sent; the sample is deterministic', async (t) => {
  const server = await emulator();
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = join(dir, 'export.csv');
  await writeFile(input, exportCsv(60));
  const journalPath = join(dir, 'run.journal');
  await runUpload(fastRun(server, input, { journalPath, samplePerBatch: 3 }), context());
  const result = await verifySample({ journalPath, sample: 12, client: CLIENT, baseUrl: server.url });
  t.is(result.recorded, 18);
  t.is(result.checked, 12);
  t.is(result.matched, 12);
  t.is(result.mismatchRate, 0);
  t.true(result.withinThreshold);
  const again = await verifySample({ journalPath, sample: 12, client: CLIENT, baseUrl: server.url });
  t.deepEqual(again, result);
});

test('verify: a changed value and expired profiles count as mismatches against the 0.1 % allowance', async (t) => {
  const server = await emulator();
  t.teardown(() => server.close());
  const dir = await tempDir();
  const input = join(dir, 'export.csv');
  await writeFile(input, exportCsv(30));
  const journalPath = join(dir, 'run.journal');
  await runUpload(fastRun(server, input, { journalPath, samplePerBatch: 10 }), context());
  const clean = await verifySample({ journalPath, sample: 30, client: CLIENT, baseUrl: server.url });
  t.is(clean.mismatches.length, 0);

  // Someone changes a value through the single-update API.
  await fetch(`${server.url}/m2/${CLIENT}/profile/update?mbox3rdPartyId=c-0004&profile.tier=bronze`, { method: 'POST' });
  await server.waitForIdle();
  const changed = await verifySample({ journalPath, sample: 30, client: CLIENT, baseUrl: server.url });
  t.deepEqual(changed.mismatches, [{ seq: 1, id: 'c-0004', problem: 'values-differ', attributes: ['tier'] }]);
  t.is(changed.mismatchRate, 1 / 30);
  t.false(changed.withinThreshold);
  t.is(changed.allowance, 0.001);

  // 15 days without activity: every profile has expired.
  server.advanceClock(15 * 86_400_000);
  const expired = await verifySample({ journalPath, sample: 5, client: CLIENT, baseUrl: server.url });
  t.is(expired.mismatches.length, 5);
  t.true(expired.mismatches.every((mismatch) => mismatch.problem === 'not-found'));
});
