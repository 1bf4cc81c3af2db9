import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JournalWriter, TargetClient } from '@bulkpipe/core';
import type { Batch } from '../src/batch/index.js';
import { uploadBatches } from '../src/upload/upload-sink.js';
import { context, tempDir } from './upload-helpers.js';

function batch(seq: number): Batch {
  const body = Buffer.from(`batch=thirdPartyId,tier\nc-${seq},gold\n`);
  return { seq, body, rows: 1, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), firstLine: seq + 1, lastLine: seq + 1, ids: [`c-${seq}`], origins: [[{ source: 'in.csv', line: seq + 1 }]] };
}

/** A scripted Target that holds every POST until the test lets it answer. */
async function holdingServer() {
  let open = 0;
  let mostOpen = 0;
  const held: Array<() => void> = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      held.push(() => {
        open--;
        const n = bodies.length;
        res.end(`<response><success>true</success><batchStatus>http://127.0.0.1/m2/acme/profile/batchStatus?batchId=b-${n}</batchStatus></response>`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    bodies,
    mostOpen: () => mostOpen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('at most `concurrency` batches are in flight, and the sink pulls only one more: backpressure holds', async (t) => {
  const server = await holdingServer();
  t.teardown(() => server.close());
  const client = new TargetClient({ client: 'acme', baseUrl: server.url });
  t.teardown(() => client.close());
  let pulled = 0;
  async function* batches() {
    for (let seq = 1; seq <= 20; seq++) {
      pulled = seq;
      yield [batch(seq)];
    }
  }
  const sink = uploadBatches({ client, concurrency: 3 }, context());
  const done = pipeline(Readable.from(batches(), { objectMode: true, highWaterMark: 1 }), sink);
  // Let everything that can move move, then check how far the source was read.
  while (server.held.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(server.held.length, 3);
  t.true(pulled <= 3 + 3, `the source was read up to batch ${pulled} while 3 were in flight`);
  const release = setInterval(() => server.held.shift()?.(), 2);
  await done;
  clearInterval(release);
  t.is(server.mostOpen(), 3);
  t.is(server.bodies.length, 20);
  t.deepEqual(sink.batches().map((progress) => progress.submit), Array(20).fill('accepted'));
});

test('the journal records batch-built, submitting and submitted in that order for every batch, and the body sent is the batch body', async (t) => {
  const server = await holdingServer();
  t.teardown(() => server.close());
  const client = new TargetClient({ client: 'acme', baseUrl: server.url });
  t.teardown(() => client.close());
  const dir = await tempDir();
  const journal = await JournalWriter.open(join(dir, 'j'), { fsync: false });
  await journal.append({ type: 'run-start', runId: 'r', configHash: 'sha256:x', inputs: [] });
  const release = setInterval(() => server.held.shift()?.(), 1);
  await pipeline(Readable.from([[batch(1), batch(2)], [batch(3)]], { objectMode: true }), uploadBatches({ client, journal }, context()));
  clearInterval(release);
  await journal.close();
  const { readJournal } = await import('@bulkpipe/core');
  const replay = await readJournal(join(dir, 'j'));
  for (const seq of [1, 2, 3]) {
    const types = replay.records.filter((record) => 'seq' in record && record.seq === seq).map((record) => record.type);
    t.deepEqual(types, ['batch-built', 'submitting', 'submitted'], `batch ${seq}`);
  }
  t.deepEqual([...server.bodies].sort(), [1, 2, 3].map((seq) => batch(seq).body.toString()).sort());
});
