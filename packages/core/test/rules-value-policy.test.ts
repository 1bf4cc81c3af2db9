import test from 'ava';
import fc from 'fast-check';
import { ErrorCode, isBulkpipeError } from '../src/errors.js';
import { WarningCode } from '../src/rows.js';
import { RULE_PASS, checkValue, resolveValuePolicy } from '../src/rules/index.js';

const reject = resolveValuePolicy();
const replace = resolveValuePolicy({ onForbiddenChars: 'replace' });
const replaceDash = resolveValuePolicy({ onForbiddenChars: 'replace', replacement: '-' });
const drop = resolveValuePolicy({ onForbiddenChars: 'drop' });

test('the default policy rejects and replaces with a space', (t) => {
  t.deepEqual({ ...reject }, { onForbiddenChars: 'reject', replacement: ' ' });
  t.true(Object.isFrozen(reject));
});

test('values with reserved form characters pass untouched (percent-encoding handles them)', (t) => {
  for (const value of ['50%', 'a&b', 'a+b', 'a=b', 'M%C3%BCnchen', 'München', '😀', '', ' x ', '"quoted"', 'tab\there']) {
    t.is(checkValue(value, 'city', reject), RULE_PASS, JSON.stringify(value));
  }
});

for (const [title, value, what] of [
  ['a comma', 'Paris, France', /"," at position 6/],
  ['an LF', 'line1\nline2', /LF \(line feed\) at position 6/],
  ['a CR', 'line1\r', /CR \(carriage return\)/],
] as const) {
  test(`reject policy: ${title} rejects the row, naming the column and the char`, (t) => {
    const result = checkValue(value, 'city', reject);
    if (result.ok) return t.fail('accepted');
    t.is(result.code, ErrorCode.VALUE_FORBIDDEN_CHAR);
    t.regex(result.message, /column "city"/);
    t.regex(result.message, what);
  });
}

test('replace policy: each comma, CR and LF becomes the replacement, with a warning', (t) => {
  const result = checkValue('a,b\r\nc', 'note', replace);
  if (!result.ok) return t.fail(result.message);
  t.is(result.value, 'a b  c');
  t.deepEqual(
    result.warnings.map((w) => w.code),
    [WarningCode.VALUE_CHARS_REPLACED],
  );
  t.regex(result.warnings[0]!.message, /3 comma\/CR\/LF characters in column "note" replaced by " "/);
  const dashed = checkValue('a,b', 'note', replaceDash);
  t.is(dashed.ok && dashed.value, 'a-b');
  const removed = checkValue('1,000', 'n', resolveValuePolicy({ onForbiddenChars: 'replace', replacement: '' }));
  t.is(removed.ok && removed.value, '1000');
});

test('drop policy: the value becomes empty, with a warning', (t) => {
  const result = checkValue('a,b', 'note', drop);
  if (!result.ok) return t.fail(result.message);
  t.is(result.value, '');
  t.deepEqual(
    result.warnings.map((w) => w.code),
    [WarningCode.VALUE_DROPPED],
  );
});

test('values longer than 256 characters warn VALUE_LONG and are kept', (t) => {
  t.is(checkValue('v'.repeat(256), 'bio', reject), RULE_PASS);
  const result = checkValue('v'.repeat(257), 'bio', reject);
  if (!result.ok) return t.fail(result.message);
  t.is(result.value, undefined);
  t.deepEqual(
    result.warnings.map((w) => w.code),
    [WarningCode.VALUE_LONG],
  );
  t.regex(result.warnings[0]!.message, /column "bio" has 257 characters/);
});

test('a replaced long value carries both warnings', (t) => {
  const result = checkValue(`${'v'.repeat(300)},`, 'bio', replace);
  if (!result.ok) return t.fail(result.message);
  t.deepEqual(
    result.warnings.map((w) => w.code),
    [WarningCode.VALUE_CHARS_REPLACED, WarningCode.VALUE_LONG],
  );
});

test('a lone surrogate is unencodable under every policy; a valid pair passes', (t) => {
  for (const policy of [reject, replace, drop]) {
    for (const value of ['a\uD800', '\uDC00b', 'x\uDBFF\uDBFFy']) {
      const result = checkValue(value, 'c', policy);
      t.false(result.ok);
      if (!result.ok) t.is(result.code, ErrorCode.VALUE_UNENCODABLE);
    }
  }
  t.is(checkValue('smile \uD83D\uDE00', 'c', reject), RULE_PASS);
});

test('invalid policies are refused up front with INVALID_OPTION naming the option and value', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ onForbiddenChars: 'escape' }, /Invalid option onForbiddenChars: .*got "escape"/],
    [{ onForbiddenChars: 'replace', replacement: ',' }, /Invalid option replacement: .*got ","/],
    [{ onForbiddenChars: 'replace', replacement: 'a\nb' }, /Invalid option replacement/],
    [{ onForbiddenChars: 'replace', replacement: 5 }, /Invalid option replacement: .*got 5/],
  ];
  for (const [policy, message] of cases) {
    const error = t.throws(() => resolveValuePolicy(policy as never));
    t.true(isBulkpipeError(error, ErrorCode.INVALID_OPTION));
    t.regex(error.message, message);
  }
});

test('property: whatever a policy admits holds no comma, CR, LF or lone surrogate', (t) => {
  const chars = fc.constantFrom('a', ',', '\r', '\n', ' ', '%', '&', '+', '=', 'é', '\uD83D\uDE00', '\uD800');
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 300 }).map((c) => c.join('')), fc.constantFrom(reject, replace, replaceDash, drop), (value, policy) => {
      const result = checkValue(value, 'c', policy);
      if (!result.ok) return true;
      const sent = result.value ?? value;
      return !/[,\r\n]/.test(sent) && Buffer.from(sent, 'utf8').toString('utf8') === sent;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
