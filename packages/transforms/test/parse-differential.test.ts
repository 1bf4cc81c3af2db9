/**
 * Differential oracle: random RFC 4180 CSV (delimiters, quotes, CR/LF and non-ASCII inside fields), cut into
 * random byte chunks, must parse to the same records as csv-parse — and every record must carry the line
 * a plain line-break count says it starts on.
 */
import test from 'ava';
import { parse as csvParseSync } from 'csv-parse/sync';
import fc from 'fast-check';
import { chunked, parseAll } from './fixtures/parse/helpers.js';

const CELL_CHARS = ['a', 'b', 'Z', '0', ' ', ',', ';', '"', '\n', '\r', 'é', 'ß', '€', '中', '😀', '\t'];

const cellArb = fc.array(fc.constantFrom(...CELL_CHARS), { maxLength: 8 }).map((chars) => chars.join(''));

interface GeneratedCsv {
  text: string;
  header: string[];
  rows: string[][];
  lines: number[];
}

function serialize(cells: readonly string[], quoteAll: boolean, delimiter: string): string {
  return cells
    .map((cell) => {
      const needsQuotes = quoteAll || cell.includes(delimiter) || /["\r\n]/.test(cell) || (cells.length === 1 && cell === '');
      return needsQuotes ? `"${cell.replaceAll('"', '""')}"` : cell;
    })
    .join(delimiter);
}

/** Physical line breaks: CRLF once, lone CR and LF once each. */
function lineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

const csvArb = fc
  .record({
    columnCount: fc.integer({ min: 1, max: 5 }),
    rowCount: fc.integer({ min: 0, max: 12 }),
    ending: fc.constantFrom('\n', '\r\n'),
    delimiter: fc.constantFrom(',', ';', '\t'),
    finalNewline: fc.boolean(),
    seed: fc.integer(),
  })
  .chain(({ columnCount, rowCount, ending, delimiter, finalNewline }) =>
    fc
      .record({
        header: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), { minLength: columnCount, maxLength: columnCount }),
        rows: fc.array(fc.array(cellArb, { minLength: columnCount, maxLength: columnCount }), { minLength: rowCount, maxLength: rowCount }),
        quoteAll: fc.array(fc.boolean(), { minLength: rowCount + 1, maxLength: rowCount + 1 }),
      })
      .map(({ header, rows, quoteAll }): GeneratedCsv & { delimiter: string } => {
        const records = [header, ...rows];
        const lines: number[] = [];
        let line = 1;
        let text = '';
        records.forEach((cells, index) => {
          const serialized = serialize(cells, quoteAll[index] ?? false, delimiter);
          if (index > 0) lines.push(line);
          line += lineBreaks(serialized) + 1;
          text += serialized + (index < records.length - 1 || finalNewline ? ending : '');
        });
        return { text, header, rows, lines, delimiter };
      }),
  );

test('random RFC 4180 CSV in random chunks parses like csv-parse, with exact start lines', async (t) => {
  await fc.assert(
    fc.asyncProperty(csvArb, fc.array(fc.nat(), { maxLength: 10 }), async (csv, cutSeeds) => {
      const bytes = Buffer.from(csv.text, 'utf8');
      const cuts = cutSeeds.map((seed) => seed % (bytes.length + 1)).sort((a, b) => a - b);
      const oracle = csvParseSync(csv.text, { delimiter: csv.delimiter, skip_empty_lines: true, relax_quotes: false }) as string[][];
      const { records, rejects } = await parseAll(chunked(bytes, cuts), { delimiter: csv.delimiter });
      t.deepEqual(rejects, []);
      const header = oracle[0] ?? [];
      t.deepEqual(header, csv.header);
      const expected = oracle.slice(1).map((cells) => Object.fromEntries(cells.map((cell, i) => [header[i], cell])));
      t.deepEqual(
        records.map((record) => record.fields),
        expected,
      );
      t.deepEqual(
        records.map((record) => record.line),
        csv.lines,
      );
    }),
    { numRuns: 300 },
  );
});

test('the sniffed delimiter parses random CSV the same as the given one', async (t) => {
  await fc.assert(
    fc.asyncProperty(csvArb, async (csv) => {
      fc.pre(csv.header.length > 1);
      const given = await parseAll(chunked(csv.text, 7), { delimiter: csv.delimiter });
      const sniffed = await parseAll(chunked(csv.text, 7));
      t.deepEqual(
        sniffed.records.map((record) => record.fields),
        given.records.map((record) => record.fields),
      );
    }),
    { numRuns: 100 },
  );
});
