import test from 'ava';
import { ErrorCode } from '../src/errors.js';
import { WarningCode } from '../src/rows.js';
import { normalizeAttributeName } from '../src/rules/index.js';

const ok: Array<[string, string, string, string[]]> = [
  ['a bare name', 'loyaltyTier', 'loyaltyTier', []],
  ['a profile. prefix, stripped with a warning', 'profile.loyaltyTier', 'loyaltyTier', [WarningCode.ATTRIBUTE_PREFIX_STRIPPED]],
  ['only one prefix is stripped', 'profile.profile.x', 'profile.x', [WarningCode.ATTRIBUTE_PREFIX_STRIPPED]],
  ['Profile. is not the prefix (names are case-sensitive)', 'Profile.x', 'Profile.x', []],
  ['128 characters', 'n'.repeat(128), 'n'.repeat(128), []],
  ['128 characters after the prefix', `profile.${'n'.repeat(128)}`, 'n'.repeat(128), [WarningCode.ATTRIBUTE_PREFIX_STRIPPED]],
  ['non-ASCII and reserved form chars (percent-encoded later)', 'Größe %&+= x', 'Größe %&+= x', []],
];

for (const [title, header, name, warnings] of ok) {
  test(`accepts ${title}`, (t) => {
    const result = normalizeAttributeName(header);
    if (!result.ok) return t.fail(result.message);
    t.is(result.name, name);
    t.deepEqual(
      result.warnings.map((w) => w.code),
      warnings,
    );
  });
}

const bad: Array<[string, string, RegExp]> = [
  ['an empty name', '', /empty/],
  ['"profile." alone', 'profile.', /empty after stripping "profile."/],
  ['129 characters', 'n'.repeat(129), /129 characters; Target's limit is 128/],
  ['129 characters after the prefix', `profile.${'n'.repeat(129)}`, /129 characters/],
  ['a comma', 'a,b', /contains ","/],
  ['a CR', 'a\rb', /contains CR/],
  ['an LF', 'a\nb', /contains LF/],
  ['a lone surrogate', 'a\uDC00', /lone UTF-16 surrogate/],
];

for (const [title, header, message] of bad) {
  test(`rejects ${title}`, (t) => {
    const result = normalizeAttributeName(header);
    if (result.ok) return t.fail(`accepted ${JSON.stringify(header)}`);
    t.is(result.code, ErrorCode.ATTRIBUTE_NAME_INVALID);
    t.regex(result.message, message);
  });
}

test('the prefix warning names the column and the name sent', (t) => {
  const result = normalizeAttributeName('profile.city');
  if (!result.ok) return t.fail(result.message);
  t.regex(result.warnings[0]!.message, /column "profile.city" is sent as attribute "city"/);
});

test('regression: a header name with leading or trailing spaces warns (it is another attribute in Target)', (t) => {
  const result = normalizeAttributeName(' tier');
  t.true(result.ok);
  if (!result.ok) return;
  t.is(result.name, ' tier');
  t.deepEqual(result.warnings.map((warning) => warning.code), ['ATTRIBUTE_NAME_WHITESPACE']);
  t.regex(result.warnings[0]!.message, /different attribute from "tier"/);
  const both = normalizeAttributeName('profile.tier ');
  t.true(both.ok);
  if (both.ok) t.deepEqual(both.warnings.map((warning) => warning.code), ['ATTRIBUTE_PREFIX_STRIPPED', 'ATTRIBUTE_NAME_WHITESPACE']);
});
