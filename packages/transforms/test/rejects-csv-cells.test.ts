/**
 * rejects.csv lines are written without csv-stringify (its sync API normalised its options for every line), so
 * they must stay what csv-stringify writes with its defaults, byte for byte: quoting, doubled quotes, empty cells.
 */
import test from 'ava';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { csvCell } from '../src/rejects/rejects-csv-writer.js';

const cellArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', '"', '""', ',', '\n', '\r', '\r\n', ' lead', 'trail ', '=1+2', "'-5", 'a,"b"\nc', '東京', '😀', '\t'),
  fc.string({ unit: fc.constantFrom('a', '"', ',', '\n', '\r', ' ', '\''), maxLength: 8 }),
);

test('a line of cells is what csv-stringify writes with its defaults', (t) => {
  fc.assert(
    fc.property(fc.array(cellArb, { minLength: 1, maxLength: 8 }), (cells) => {
      t.is(`${cells.map(csvCell).join(',')}\n`, stringify([cells]));
    }),
    { numRuns: 2000 },
  );
});
