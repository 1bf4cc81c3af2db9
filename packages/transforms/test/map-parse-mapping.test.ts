import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ErrorCode, isBulkpipeError } from '@bulkpipe/core';
import { loadMapping, parseMapping } from '../src/map/index.js';

test('a complete mapping parses into a frozen, normalized form', (t) => {
  const mapping = parseMapping(
    {
      description: 'CRM export to Target',
      idColumn: 'thirdPartyId',
      idType: 'thirdPartyId',
      columns: {
        'E-mail': { rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] },
        'Loyalty Tier': { rename: 'loyaltyTier' },
        City: { transforms: ['trim', 'collapseWhitespace'] },
        Phone: false,
        Country: true,
      },
      otherColumns: 'drop',
      derive: { emailDomainUpper: { from: 'E-mail', transforms: ['uppercase'] } },
      constants: { crmSource: 'salesforce' },
    },
    'test.json',
  );
  t.true(Object.isFrozen(mapping));
  t.is(mapping.label, 'test.json');
  t.is(mapping.idColumn, 'thirdPartyId');
  t.is(mapping.idType, 'thirdPartyId');
  t.is(mapping.otherColumns, 'drop');
  t.deepEqual(mapping.columns, [
    { column: 'E-mail', keep: true, rename: 'thirdPartyId', transforms: ['trim', 'lowercase', 'sha256'] },
    { column: 'Loyalty Tier', keep: true, rename: 'loyaltyTier', transforms: [] },
    { column: 'City', keep: true, transforms: ['trim', 'collapseWhitespace'] },
    { column: 'Phone', keep: false, transforms: [] },
    { column: 'Country', keep: true, transforms: [] },
  ]);
  t.deepEqual(mapping.derive, [{ name: 'emailDomainUpper', from: 'E-mail', transforms: ['uppercase'] }]);
  t.deepEqual(mapping.constants, [{ name: 'crmSource', value: 'salesforce' }]);
});

test('an empty mapping keeps everything', (t) => {
  const mapping = parseMapping('{}');
  t.is(mapping.otherColumns, 'keep');
  t.is(mapping.idColumn, undefined);
  t.deepEqual([mapping.columns, mapping.derive, mapping.constants], [[], [], []]);
});

const invalid: Array<[string, unknown, RegExp]> = [
  ['not JSON', '{ "idColumn": ', /Mapping m.json is not valid JSON/],
  ['an array at the top', '[]', /at \$: expected an object, got \[\]/],
  ['an unknown top-level key', { idColum: 'x' }, /at \$\.idColum: expected no such key \(allowed: description, idColumn, idType/],
  ['an unknown column key', { columns: { City: { renam: 'city' } } }, /at \$\.columns\.City\.renam: expected no such key \(allowed: rename, transforms\)/],
  ['a path with an odd column name', { columns: { 'E-mail': { transforms: ['lower'] } } }, /at \$\.columns\["E-mail"\]\.transforms\[0\]: expected one of "trim", "lowercase".*got "lower"/],
  ['a wrong column rule type', { columns: { City: 'drop' } }, /at \$\.columns\.City: expected true \(keep\), false \(drop\) or an object.*got "drop"/],
  ['a non-array transforms', { columns: { City: { transforms: 'trim' } } }, /\$\.columns\.City\.transforms: expected an array of transforms/],
  ['an unknown idType', { idType: 'ecid' }, /\$\.idType: expected one of "thirdPartyId", "pcId", got "ecid"/],
  ['an empty idColumn', { idColumn: '' }, /\$\.idColumn: expected a non-empty string, got ""/],
  ['a bad otherColumns', { otherColumns: 'none' }, /\$\.otherColumns: expected one of "keep", "drop", got "none"/],
  ['a rename to an unsendable name', { columns: { City: { rename: 'a,b' } } }, /\$\.columns\.City\.rename: expected a column name usable as an attribute name .*got "a,b"/],
  ['a rename over 128 chars', { columns: { City: { rename: 'n'.repeat(129) } } }, /129 characters/],
  ['a derive without from', { derive: { x: { transforms: [] } } }, /\$\.derive\.x\.from: expected a non-empty string, got nothing/],
  ['a derive key that is not a name', { derive: { 'a\nb': { from: 'c' } } }, /\$\.derive\["a\\nb"\]/],
  ['a numeric constant', { constants: { tier: 3 } }, /\$\.constants\.tier: expected a string .*got 3/],
  ['a constant with a comma', { constants: { tier: 'a,b' } }, /\$\.constants\.tier: expected a value without commas, CR or LF/],
  ['a non-string description', { description: 1 }, /\$\.description: expected a string, got 1/],
];

for (const [title, json, message] of invalid) {
  test(`rejects ${title} with INVALID_MAPPING naming the path and value`, (t) => {
    const error = t.throws(() => parseMapping(json, 'm.json'));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_MAPPING), error.message);
    t.regex(error.message, message);
    t.regex(error.message, /m\.json/);
  });
}

test('loadMapping reads a file; an unreadable path is INVALID_MAPPING naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkpipe-mapping-'));
  const path = join(dir, 'mapping.json');
  writeFileSync(path, JSON.stringify({ idColumn: 'id', columns: { Phone: false } }));
  const mapping = loadMapping(path);
  t.is(mapping.idColumn, 'id');
  writeFileSync(path, `\uFEFF${JSON.stringify({ idColumn: 'bom' })}`);
  t.is(loadMapping(path).idColumn, 'bom', 'a UTF-8 BOM is skipped');
  t.is(mapping.label, path);
  const error = t.throws(() => loadMapping(join(dir, 'missing.json')));
  t.true(isBulkpipeError(error, ErrorCode.INVALID_MAPPING));
  t.regex(error.message, /Cannot read mapping file .*missing\.json: ENOENT/);
});
