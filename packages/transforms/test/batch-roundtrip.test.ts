import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import type { ProfileRow } from '@bulkpipe/core';
import { createBatchStep } from '../src/batch/batch-step.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { batchRowsArb, decodeBody, nonEmpty, sha256 } from './batch-helpers.js';

const cut = (rows: readonly ProfileRow[], maxBytes: number, maxRows: number, idType: 'thirdPartyId' | 'pcId' = 'thirdPartyId') =>
  runStep(createBatchStep({ maxBytes, maxRows, idType }, new RunContext({ maxRejectRate: 1 })), rows);

test('decoding any body the way Target does gives back exactly the rows: ids, non-empty values, names', (t) => {
  fc.assert(
    fc.property(batchRowsArb, fc.integer({ min: 60, max: 2_000 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom('thirdPartyId' as const, 'pcId' as const), (rows, maxBytes, maxRows, idType) => {
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const batch of cut(rows, maxBytes, maxRows, idType)) {
        const decoded = decodeBody(batch.body);
        assert.equal(decoded.key, idType);
        assert.deepEqual(decoded.rows.map((row) => row.id), batch.ids);
        for (const [i, row] of decoded.rows.entries()) {
          const input = byId.get(row.id)!;
          assert.deepEqual(row.attributes, nonEmpty(input.attributes));
          assert.deepEqual(batch.origins[i], input.origins);
        }
        // Header: names of non-empty values in first-seen order within this batch.
        const seen = new Set<string>();
        for (const id of batch.ids) for (const [name] of Object.entries(nonEmpty(byId.get(id)!.attributes))) seen.add(name);
        assert.deepEqual(decoded.names, [...seen]);
      }
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('same rows and options give byte-identical batches; size, hash and line range describe the body', (t) => {
  fc.assert(
    fc.property(batchRowsArb, fc.integer({ min: 60, max: 1_000 }), (rows, maxBytes) => {
      const first = cut(rows, maxBytes, 10);
      const second = cut(rows, maxBytes, 10);
      assert.equal(first.length, second.length);
      for (const [i, batch] of first.entries()) {
        assert.ok(batch.body.equals(second[i]!.body));
        assert.equal(batch.bytes, batch.body.length);
        assert.equal(batch.sha256, sha256(batch.body));
        assert.equal(batch.rows, batch.ids.length);
        assert.equal(batch.origins.length, batch.ids.length);
        const lines = batch.origins.flat().map((origin) => origin.line);
        assert.equal(batch.firstLine, Math.min(...lines));
        assert.equal(batch.lastLine, Math.max(...lines));
      }
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('the documented example encodes as Target expects: RFC 3986, never + for space, trailing empty cells omitted', (t) => {
  const rows: ProfileRow[] = [
    { id: 'c-000017', attributes: { loyaltyTier: 'gold', lifetimeValue: '1200.50', city: 'München' }, origins: [{ source: 'in.csv', line: 2 }] },
    { id: 'c-000018', attributes: { loyaltyTier: '', lifetimeValue: '87', city: 'Lyon' }, origins: [{ source: 'in.csv', line: 3 }] },
    { id: 'c-000019', attributes: { loyaltyTier: 'silver', lifetimeValue: '', city: '' }, origins: [{ source: 'in.csv', line: 4 }] },
    { id: 'c 20', attributes: { note: "a+b & c=d 100% (ok)!" }, origins: [{ source: 'in.csv', line: 5 }] },
  ];
  const [batch] = cut(rows, 50_000_000, 500_000);
  t.is(
    batch!.body.toString(),
    'batch=thirdPartyId,loyaltyTier,lifetimeValue,city,note\n' +
      'c-000017,gold,1200.50,M%C3%BCnchen\n' +
      'c-000018,,87,Lyon\n' +
      'c-000019,silver\n' +
      'c%2020,,,,a%2Bb%20%26%20c%3Dd%20100%25%20%28ok%29%21\n',
  );
  t.deepEqual([batch!.firstLine, batch!.lastLine], [2, 5]);
});

test('a merged row keeps all its origins, and its line range spans them', (t) => {
  const [batch] = cut([{ id: 'a', attributes: { x: '1' }, origins: [{ source: 'in.csv', line: 9 }, { source: 'in.csv', line: 3 }] }], 1_000, 10);
  t.deepEqual([batch!.firstLine, batch!.lastLine], [3, 9]);
  t.deepEqual(batch!.origins[0]?.map((origin) => origin.line), [9, 3]);
});
