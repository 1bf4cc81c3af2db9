import test from 'ava';
import fc from 'fast-check';
import { applyProfileRow, GroupedRowApplier, readAttributes } from '../src/profiles.js';
import type { RowOutcome, RowWrite } from '../src/profiles.js';
import { DEFAULT_CLIENT_SETTINGS } from '../src/settings.js';
import { Store } from '../src/store.js';

type Row = [id: string, pairs: Array<[string, string]>];

function snapshot(store: Store, keyType: 'thirdPartyId' | 'pcId', ids: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of new Set(ids)) {
    const profile = keyType === 'thirdPartyId' ? store.profileByThirdParty('acme', id) : store.profileByTnt('acme', id);
    out[id] = profile === undefined ? null : [...readAttributes(profile.attrs, profile.modified_at)];
  }
  return out;
}

test('grouped multi-row inserts give the same profiles and outcomes as applying rows one by one', (t) => {
  const row = fc.tuple(
    fc.constantFrom('a', 'b', 'c', 'd', 'e', '', 'x+y'),
    fc.array(fc.tuple(fc.constantFrom('p', 'q', 'r'), fc.constantFrom('', '1', '2', 'big')), { maxLength: 3 }),
  );
  fc.assert(
    fc.property(fc.constantFrom('thirdPartyId' as const, 'pcId' as const), fc.array(fc.array(row, { maxLength: 12 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5 }), (keyType, batches, groupRows) => {
      const settings = { ...DEFAULT_CLIENT_SETTINGS, maxProfileBytes: 12 };
      const sequential = new Store(':memory:');
      const grouped = new Store(':memory:');
      try {
        const seqOutcomes: Array<[string, RowOutcome]> = [];
        const groupOutcomes: Array<[string, RowOutcome]> = [];
        batches.forEach((rows: Row[], index) => {
          const write: RowWrite = { client: 'acme', version: 2, keyType, batchId: `b${index}`, now: 1000 + index, settings, seed: 1 };
          const nonEmpty = (pairs: Array<[string, string]>): Array<[string, string]> => pairs.map(([name, value]) => [name, value === 'big' ? 'v'.repeat(10) : value] as [string, string]).filter(([, value]) => value !== '');
          sequential.transaction(() => rows.forEach(([id, pairs]) => seqOutcomes.push([id, applyProfileRow(sequential, write, id, nonEmpty(pairs), false)])));
          grouped.transaction(() => {
            const applier = new GroupedRowApplier(grouped, write, groupRows, (id, outcome) => groupOutcomes.push([id, outcome]));
            rows.forEach(([id, pairs]) => applier.apply(id, nonEmpty(pairs)));
            applier.flush();
          });
        });
        const ids = batches.flat().map(([id]) => id);
        return JSON.stringify(seqOutcomes) === JSON.stringify(groupOutcomes) && JSON.stringify(snapshot(sequential, keyType, ids)) === JSON.stringify(snapshot(grouped, keyType, ids));
      } finally {
        sequential.close();
        grouped.close();
      }
    }),
    { numRuns: 300 },
  );
  t.pass();
});
