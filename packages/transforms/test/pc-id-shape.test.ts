/** The fast lane's byte-level pcId shape check says "in shape" exactly when core's checkPcId passes without a warning. */
import test from 'ava';
import fc from 'fast-check';
import { checkPcId } from '@bulkpipe/core';
import { isPcIdShape } from '../src/parallel/pc-id-shape.js';

const hex = fc.constantFrom(...'0123456789abcdefABCDEF');
const digits = (min: number, max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const piece = fc.oneof(
  fc.array(hex, { minLength: 30, maxLength: 42 }).map((chars) => chars.join('')),
  fc.tuple(digits(0, 6), digits(0, 6)).map(([a, b]) => `${a}-${b}`),
  digits(30, 42),
  fc.constantFrom('', '.', '_', '-', 'g', ' ', '+', '/', 'é', '--', '.1_2', '.1_', '._2', '.12_34'),
);
const id = fc.array(piece, { minLength: 1, maxLength: 3 }).map((pieces) => pieces.join(''));

test('isPcIdShape agrees with checkPcId passing without warnings', (t) => {
  fc.assert(
    fc.property(id, (text) => {
      const verdict = checkPcId(text);
      const inShape = verdict.ok && verdict.warnings.length === 0;
      const bytes = Buffer.from(`x${text}y`);
      // The lane only asks about ids of 1–128 printable ASCII bytes that are not ECIDs; core decides the rest.
      const asked = text.length > 0 && text.length <= 128 && /^[\x21-\x7e]*$/.test(text) && !/^[0-9]{38}$/.test(text);
      if (asked) t.is(isPcIdShape(bytes, 1, bytes.length - 1), inShape, text);
    }),
    { numRuns: 5000 },
  );
});

test('the shapes Target writes pass; near misses do not', (t) => {
  const yes = ['0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'ABCDEF0123456789abcdef0123456789.28_0', '1234-5678', '1234-5678.5_11', 'a'.repeat(40)];
  const no = ['0f1e2d3c4b5a69788796a5b4c3d2e1f', 'a'.repeat(41), '12-', '-12', '12-34.5', '12-34.5_', 'g'.repeat(32), '12-3a'];
  for (const text of yes) t.true(isPcIdShape(Buffer.from(text), 0, text.length), text);
  for (const text of no) t.false(isPcIdShape(Buffer.from(text), 0, text.length), text);
});
