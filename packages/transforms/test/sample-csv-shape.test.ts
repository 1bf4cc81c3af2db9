import test from 'ava';
import { SAMPLE_COLUMNS } from '../src/sample/index.js';
import { COMPANIES, NOTES } from '../src/sample/sample-vocabulary.js';
import * as vocabulary from '../src/sample/sample-vocabulary.js';
import { generateText, parseStrict } from './sample-helpers.js';

for (const delimiter of [',', ';', '\t', '|']) {
  test(`parses as strict CSV with delimiter ${JSON.stringify(delimiter)}`, (t) => {
    const { text, stats } = generateText({ rows: 3000, seed: 9, delimiter });
    const [header, ...records] = parseStrict(text, delimiter);
    t.deepEqual(header, [...SAMPLE_COLUMNS]);
    t.is(records.length, stats.rows);
  });
}

test('CRLF line endings and a BOM still parse to the same records', (t) => {
  const plain = parseStrict(generateText({ rows: 2000, seed: 2 }).text);
  const { text } = generateText({ rows: 2000, seed: 2, lineEnding: '\r\n', bom: true });
  t.true(text.startsWith('\uFEFFcustomer_id,'));
  t.true(text.includes('\r\n'));
  t.deepEqual(parseStrict(text), plain);
});

test('zero rows is a header alone', (t) => {
  const { text, stats } = generateText({ rows: 0 });
  t.is(text, SAMPLE_COLUMNS.join(',') + '\n');
  t.is(stats.bytes, text.length);
});

test('holds what real exports hold: non-ASCII, quoted commas and quotes, reserved characters, ~150 bytes a row', (t) => {
  const { text, stats } = generateText({ rows: 20_000, seed: 1 });
  const values = parseStrict(text).slice(1).flat();
  for (const word of ['München', 'Zoë', 'São Paulo', 'Kraków', '東京', '🎉']) t.true(text.includes(word), word);
  t.true(text.includes('""'), 'a doubled quote');
  t.true(values.some((value) => value.includes(',')), 'a comma inside a value');
  t.true(values.some((value) => value.includes('\n')), 'a line feed inside a value');
  for (const char of ['%', '&', '+', '=']) t.true(values.some((value) => value.includes(char)), char);
  const bytesPerRow = stats.bytes / stats.rows;
  t.true(bytesPerRow > 130 && bytesPerRow < 175, `${bytesPerRow} bytes per row`);
});

test('the plain vocabulary holds no delimiter, quote or line break; only the planted lists hold commas or LF', (t) => {
  // The generator skips quoting for the plain lists, and counts forbidden values only where it plants them.
  const plain = [
    ...vocabulary.FIRST_NAMES.flat(), ...vocabulary.LAST_NAMES.flat(), ...vocabulary.CITIES.flat(),
    ...vocabulary.LOYALTY_TIERS, ...vocabulary.CATEGORIES, ...vocabulary.EMAIL_DOMAINS,
  ];
  for (const value of plain) t.false(/[,;\t|"\r\n]/.test(value), value);
  for (const value of [...COMPANIES, ...NOTES]) t.false(/[,\r\n]/.test(value), value);
  for (const value of [...vocabulary.COMPANIES_WITH_COMMA, ...vocabulary.NOTES_WITH_FORBIDDEN]) t.true(/[,\r\n]/.test(value), value);
});
