import test from 'ava';
import fc from 'fast-check';
import { MAX_ENCODED_BYTES_PER_UNIT, percentEncode, percentEncodeInto } from '../src/encoding.js';

function encodeInto(text: string, stopAtSeparators = false): string | -1 {
  const target = Buffer.alloc(3 + text.length * MAX_ENCODED_BYTES_PER_UNIT);
  const end = percentEncodeInto(text, target, 3, stopAtSeparators);
  return end < 0 ? -1 : target.toString('latin1', 3, end);
}

function refEncode(text: string): string | -1 {
  try {
    return percentEncode(text);
  } catch {
    return -1;
  }
}

test('percentEncodeInto writes exactly the bytes percentEncode returns, and -1 where it throws', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', 'a', '!', '*', '~', ' ', '%', 'é', '😀') })), (text) => {
      t.is(encodeInto(text), refEncode(text));
    }),
    { numRuns: 3000 },
  );
});

test('with stopAtSeparators, a comma, CR or LF gives -1 and other text encodes as usual', (t) => {
  for (const text of ['a,b', 'x\ny', 'x\r', ',']) t.is(encodeInto(text, true), -1);
  for (const text of ['a b', "it's", 'M\u00fcnchen', '%2C']) t.is(encodeInto(text, true), percentEncode(text));
});

test('the worst case fits the documented room: 9 bytes per UTF-16 unit', (t) => {
  const text = '\u20ac'.repeat(10);
  const target = Buffer.alloc(text.length * MAX_ENCODED_BYTES_PER_UNIT);
  t.is(percentEncodeInto(text, target, 0), target.length);
});
