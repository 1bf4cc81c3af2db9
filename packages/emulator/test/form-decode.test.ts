import test from 'ava';
import fc from 'fast-check';
import { decodeComponent, decodeForm, formValue } from '../src/form-decode.js';

/** The slow, obviously right reading of one form component: byte by byte. */
function referenceDecode(bytes: Buffer): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) out.push(0x20);
    else if (byte === 0x25) {
      const hex = bytes.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(byte);
  }
  return Buffer.from(out);
}

test('decodeComponent agrees with a byte-by-byte reference on any bytes', (t) => {
  const interesting = fc.constantFrom(0x25, 0x2b, 0x41, 0x66, 0x30, 0x67, 0x0a, 0x2c, 0xc3, 0xbc);
  fc.assert(
    fc.property(fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), { maxLength: 64 }), (array) => {
      const bytes = Buffer.from(array);
      const expected = referenceDecode(bytes);
      const actual = decodeComponent(bytes);
      return expected === undefined ? actual === undefined : actual !== undefined && actual.equals(expected);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('encodeURIComponent output always decodes back to the same text', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      const decoded = decodeForm(Buffer.from(`batch=${encodeURIComponent(text)}&x=1`));
      return decoded.ok && formValue(decoded.fields, 'batch') === text;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('fields split on raw & and the first raw =; empty fields are skipped; invalid UTF-8 becomes U+FFFD', (t) => {
  const decoded = decodeForm(Buffer.from('batch=a=b&&c&batch=second&bad=%FF'));
  t.true(decoded.ok);
  if (!decoded.ok) return;
  t.deepEqual(
    decoded.fields.map((field) => [field.name, field.value.toString('utf8')]),
    [
      ['batch', 'a=b'],
      ['c', ''],
      ['batch', 'second'],
      ['bad', '\uFFFD'],
    ],
  );
  t.is(formValue(decoded.fields, 'batch'), 'a=b');
});

test('a malformed escape anywhere in the body fails the whole decode, including in later fields and names', (t) => {
  for (const body of ['batch=ok&x=%', 'batch=ok&%zz=1', 'batch=%4', 'batch=%%41']) t.false(decodeForm(Buffer.from(body)).ok, body);
});
