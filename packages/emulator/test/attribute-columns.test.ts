import test from 'ava';
import fc from 'fast-check';
import { AttributeColumns } from '../src/attribute-columns.js';
import { GroupedRowApplier, utf8Length } from '../src/profiles.js';
import type { RowOutcome, RowWrite } from '../src/profiles.js';
import { DEFAULT_CLIENT_SETTINGS } from '../src/settings.js';
import { Store } from '../src/store.js';

// characters that take every branch of the JSON and UTF-8 handling: escapes, 1-4 byte UTF-8, lone surrogates
const awkward = fc.constantFrom('a', 'b', '"', '\\', '\u0000', '\n', '\u001f', '\u007f', 'é', 'ü', '€', '\u2028', '😀', '\ud800', '\udc00', ' ', '%');
const text = fc.string({ unit: awkward, maxLength: 6 });
const name = fc.constantFrom('', 'p', 'q', 'r', 'é"', '\\n');

test('a new profile’s attribute JSON built from cells equals the Map route’s JSON.stringify, and so do its bytes', (t) => {
  fc.assert(
    fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), fc.array(text, { minLength: 1, maxLength: 7 }), fc.boolean(), (names, cells, flag) => {
      const columns = AttributeColumns.fromHeader(names);
      const named = names.slice(1).filter((n) => n !== '');
      if (new Set(named).size !== named.length) return columns === undefined;
      if (columns === undefined) return false;
      const pairs = columns.pairs(cells);
      const expectedFlat = pairs.flatMap(([n, v]) => [n, v, flag ? 1 : 0, 0]);
      const expectedBytes = pairs.reduce((sum, [n, v]) => sum + utf8Length(n) + utf8Length(v), 0);
      const attrs = columns.newProfileAttrs(cells, flag);
      if (pairs.length === 0) return attrs === undefined;
      return attrs !== undefined && attrs.json === JSON.stringify(expectedFlat) && attrs.bytes === expectedBytes;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('applying rows by cells gives the same profiles and outcomes as applying their (name, value) pairs', (t) => {
  const row = fc.tuple(fc.constantFrom('a', 'b', 'c', '', 'x+y', 'é'), fc.array(fc.constantFrom('', '1', '2', 'big', 'ü"', '😀'), { maxLength: 6 }));
  fc.assert(
    fc.property(
      fc.constantFrom('thirdPartyId' as const, 'pcId' as const),
      fc.constantFrom(1 as const, 2 as const),
      fc.array(fc.array(row, { maxLength: 10 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 4 }),
      (keyType, version, batches, groupRows) => {
        const names = ['', 'p', 'q', '', 'r'];
        const columns = AttributeColumns.fromHeader(names)!;
        const settings = { ...DEFAULT_CLIENT_SETTINGS, maxProfileBytes: 14 };
        const byPairs = new Store(':memory:');
        const byCells = new Store(':memory:');
        try {
          const pairOutcomes: Array<[string, RowOutcome]> = [];
          const cellOutcomes: Array<[string, RowOutcome]> = [];
          batches.forEach((rows, index) => {
            const write: RowWrite = { client: 'acme', version, keyType, batchId: `b${index}`, now: 1000 + index, settings, seed: 1 };
            const cellsOf = ([id, values]: [string, string[]]): string[] => [id, ...values.map((value) => (value === 'big' ? 'v'.repeat(10) : value))];
            byPairs.transaction(() => {
              const applier = new GroupedRowApplier(byPairs, write, groupRows, (id, outcome) => pairOutcomes.push([id, outcome]));
              for (const r of rows) applier.apply(r[0], columns.pairs(cellsOf(r)));
              applier.flush();
            });
            byCells.transaction(() => {
              const applier = new GroupedRowApplier(byCells, write, groupRows, (id, outcome) => cellOutcomes.push([id, outcome]));
              for (const r of rows) applier.applyCells(r[0], cellsOf(r), columns);
              applier.flush();
            });
          });
          const dump = (store: Store): string => JSON.stringify(store.db.prepare('SELECT * FROM profiles ORDER BY tnt_id').all());
          return JSON.stringify(pairOutcomes) === JSON.stringify(cellOutcomes) && dump(byPairs) === dump(byCells);
        } finally {
          byPairs.close();
          byCells.close();
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('a header whose attribute name repeats has no column plan (the later value must replace the earlier in place)', (t) => {
  t.is(AttributeColumns.fromHeader(['thirdPartyId', 'a', 'b', 'a']), undefined);
  t.not(AttributeColumns.fromHeader(['thirdPartyId', 'a', '', '', 'b']), undefined);
});
