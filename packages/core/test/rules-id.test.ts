import test from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '../src/errors.js';
import { WarningCode } from '../src/rows.js';
import { RULE_PASS, checkId, checkPcId, checkThirdPartyId } from '../src/rules/index.js';

const ecid = '08327492374629384756102938475610293847';

const rejects: Array<[string, string, 'thirdPartyId' | 'pcId', ErrorCode, RegExp]> = [
  ['empty thirdPartyId', '', 'thirdPartyId', ErrorCode.ID_EMPTY, /empty/],
  ['whitespace-only thirdPartyId', '   ', 'thirdPartyId', ErrorCode.ID_EMPTY, /whitespace/],
  ['empty pcId', '', 'pcId', ErrorCode.ID_EMPTY, /empty/],
  ['257-char thirdPartyId', 'a'.repeat(257), 'thirdPartyId', ErrorCode.ID_TOO_LONG, /257 characters.*256/],
  ['129-char pcId', 'a'.repeat(129), 'pcId', ErrorCode.ID_TOO_LONG, /129 characters.*128/],
  ['+ in thirdPartyId', 'abc+def', 'thirdPartyId', ErrorCode.ID_FORBIDDEN_CHAR, /"\+" at position 4/],
  ['/ in thirdPartyId', 'a/b', 'thirdPartyId', ErrorCode.ID_FORBIDDEN_CHAR, /"\/" at position 2/],
  [', in thirdPartyId', 'a,b', 'thirdPartyId', ErrorCode.ID_FORBIDDEN_CHAR, /"," at position 2/],
  ['CR in thirdPartyId', 'a\rb', 'thirdPartyId', ErrorCode.ID_FORBIDDEN_CHAR, /CR \(carriage return\)/],
  ['LF in thirdPartyId', 'ab\n', 'thirdPartyId', ErrorCode.ID_FORBIDDEN_CHAR, /LF \(line feed\) at position 3/],
  [', in pcId', 'a,b', 'pcId', ErrorCode.ID_FORBIDDEN_CHAR, /","/],
  ['LF in pcId', 'a\nb', 'pcId', ErrorCode.ID_FORBIDDEN_CHAR, /LF/],
  ['38-digit ECID as pcId', ecid, 'pcId', ErrorCode.ID_ECID, /looks like an ECID \(marketingCloudVisitorId\); Target's batch files take pcId or thirdPartyId, not ECIDs/],
  ['38-digit ECID as thirdPartyId', ecid, 'thirdPartyId', ErrorCode.ID_ECID, /looks like an ECID/],
  ['padded ECID', ` ${ecid} `, 'pcId', ErrorCode.ID_ECID, /ECID/],
  ['lone surrogate', 'ab\uD800c', 'thirdPartyId', ErrorCode.VALUE_UNENCODABLE, /lone UTF-16 surrogate at position 3/],
];

for (const [title, id, idType, code, message] of rejects) {
  test(`rejects ${title}`, (t) => {
    const result = checkId(id, idType);
    if (result.ok) return t.fail(`expected ${code}, got ok`);
    t.is(result.code, code);
    t.regex(result.message, message);
  });
}

const passes: Array<[string, string, 'thirdPartyId' | 'pcId']> = [
  ['256-char thirdPartyId', 'a'.repeat(256), 'thirdPartyId'],
  ['40-hex pcId with cluster', `${'a'.repeat(40)}.1_1`, 'pcId'],
  ['37-digit thirdPartyId', '1'.repeat(37), 'thirdPartyId'],
  ['39-digit thirdPartyId', '1'.repeat(39), 'thirdPartyId'],
  ['38 chars with a letter', `${'1'.repeat(37)}x`, 'thirdPartyId'],
  ['hex pcId with cluster', '84e8d0e211054f18af365d65f45e902b.28_131', 'pcId'],
  ['legacy pcId', '1368007744041-575948.01_00', 'pcId'],
  ['legacy pcId without cluster', '1368007744041-575948', 'pcId'],
  ['upper-case hex pcId', '84E8D0E211054F18AF365D65F45E902B', 'pcId'],
  ['non-ASCII thirdPartyId', 'kunde-ü-😀', 'thirdPartyId'],
  ['reserved form chars in thirdPartyId', 'a%b&c=d', 'thirdPartyId'],
  ['inner space', 'a b', 'thirdPartyId'],
];

for (const [title, id, idType] of passes) {
  test(`accepts ${title} without warnings`, (t) => {
    t.is(checkId(id, idType), RULE_PASS);
  });
}

test('the common case allocates nothing: it returns the shared RULE_PASS', (t) => {
  t.is(checkThirdPartyId('c-000017'), RULE_PASS);
  t.is(checkPcId('84e8d0e211054f18af365d65f45e902b'), RULE_PASS);
});

test('surrounding whitespace warns and is not trimmed', (t) => {
  for (const id of [' c-1', 'c-1 ', '\tc-1', 'c-1\u00a0']) {
    const result = checkThirdPartyId(id);
    if (!result.ok) return t.fail(result.message);
    t.deepEqual(
      result.warnings.map((w) => w.code),
      [WarningCode.ID_WHITESPACE],
      JSON.stringify(id),
    );
  }
});

test('a pcId of an odd shape warns but passes', (t) => {
  for (const id of ['123', 'not-a-tnt-id', 'abc.1_2', `${'a'.repeat(31)}`, `${'a'.repeat(41)}`, '84e8d0e211054f18af365d65f45e902b.28']) {
    const result = checkPcId(id);
    if (!result.ok) return t.fail(result.message);
    t.deepEqual(
      result.warnings.map((w) => w.code),
      [WarningCode.PC_ID_SHAPE],
      id,
    );
    t.regex(result.warnings[0]!.message, /does not look like a Target visitor id/);
  }
});

test('a 128-char pcId and + / in a pcId pass (only thirdPartyId forbids + and /), with a shape warning', (t) => {
  for (const id of ['p'.repeat(128), 'ab+cd/ef']) {
    const result = checkPcId(id);
    if (!result.ok) return t.fail(result.message);
    t.deepEqual(
      result.warnings.map((w) => w.code),
      [WarningCode.PC_ID_SHAPE],
    );
  }
});

test('a padded pcId of an odd shape gets both warnings', (t) => {
  const result = checkPcId(' 123 ');
  if (!result.ok) return t.fail(result.message);
  t.deepEqual(
    result.warnings.map((w) => w.code),
    [WarningCode.ID_WHITESPACE, WarningCode.PC_ID_SHAPE],
  );
});

test('property: a thirdPartyId passes exactly when it is non-blank, ≤ 256, free of + / , CR LF, encodable and not 38 digits', (t) => {
  const alphabet = fc.constantFrom('a', 'Z', '0', '7', '+', '/', ',', '\r', '\n', ' ', 'é', '\uD83D\uDE00', '\uD800', '%', '&', '=');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 300 }).map((parts) => parts.join('')), (id) => {
      const expected =
        id.trim() !== '' && id.length <= 256 && !/[+/,\r\n]/.test(id) && Buffer.from(id, 'utf8').toString('utf8') === id && !/^\d{38}$/.test(id.trim());
      return checkThirdPartyId(id).ok === expected;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
