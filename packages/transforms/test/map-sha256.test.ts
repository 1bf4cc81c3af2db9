import { createHash } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { sha256Hex } from '../src/map/index.js';

test('known vectors: lower-case hex of the UTF-8 bytes', (t) => {
  t.is(sha256Hex('user@example.com'), 'b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514');
  t.is(sha256Hex('München'), 'c075b9c24a3d0f0cdad3e99683ed2514981e4ff40c6c0056de53e5e56e052227');
  t.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('property: agrees with createHash for any well-formed string', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (value) => sha256Hex(value) === createHash('sha256').update(value, 'utf8').digest('hex')),
    { numRuns: 300 },
  );
  t.pass();
});
