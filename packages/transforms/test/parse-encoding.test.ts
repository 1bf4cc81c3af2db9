import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import fc from 'fast-check';
import { firstInvalidUtf8, Utf8Decoder } from '../src/parse/utf8-decoder.js';
import { chunked, once, parseAll, parseFields } from './fixtures/parse/helpers.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

test('a UTF-8 byte order mark is stripped, in bytes and in strings, even when split across chunks', async (t) => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('id,name\n1,x\n')]);
  const { records } = await parseAll(chunked(bytes, 1));
  t.deepEqual(records[0]?.columns, ['id', 'name']);
  t.deepEqual(await parseFields(once('\uFEFFid,name\n1,x\n')), [{ id: '1', name: 'x' }]);
});

for (const [name, bom] of [
  ['UTF-16 LE', [0xff, 0xfe]],
  ['UTF-16 BE', [0xfe, 0xff]],
] as const) {
  test(`a ${name} byte order mark is a clear error saying how to convert`, async (t) => {
    const bytes = Buffer.concat([Buffer.from(bom), Buffer.from('id\n1\n', name === 'UTF-16 LE' ? 'utf16le' : 'latin1')]);
    const error = await t.throwsAsync(parseAll(chunked(bytes, 1)), { code: ErrorCode.INVALID_UTF8 });
    t.regex(error?.message ?? '', new RegExp(`${name} byte order mark`));
    t.regex(error?.message ?? '', /iconv -f UTF-16 -t UTF-8/);
  });
}

test('invalid UTF-8 is an error naming the line, never a silent replacement', async (t) => {
  const bytes = Buffer.concat([utf8('id,city\n1,Paris\n2,"Mon\ntr'), Buffer.from([0xe9]), utf8('al"\n3,x\n')]);
  for (const size of [1, 5, 64 * 1024]) {
    const error = await t.throwsAsync(parseAll(chunked(bytes, size)), { code: ErrorCode.INVALID_UTF8 });
    t.is((error as { context?: { line?: number } }).context?.line, 4, `chunks of ${size}`);
    t.regex(error?.message ?? '', /line 4 .*byte offset 25/);
    t.regex(error?.message ?? '', /WINDOWS-1252/);
  }
});

test('invalid UTF-8 in the header names line 1', async (t) => {
  const bytes = Buffer.concat([utf8('id,st'), Buffer.from([0xff]), utf8('\n1,x\n')]);
  const error = await t.throwsAsync(parseAll(chunked(bytes, 3)), { code: ErrorCode.INVALID_UTF8 });
  t.is((error as { context?: { line?: number } }).context?.line, 1);
});

test('a multi-byte character cut off by the end of the input is invalid', async (t) => {
  const bytes = Buffer.concat([utf8('id,x\n1,'), Buffer.from([0xe2, 0x82])]);
  const error = await t.throwsAsync(parseAll(chunked(bytes, 2)), { code: ErrorCode.INVALID_UTF8 });
  t.is((error as { context?: { line?: number } }).context?.line, 2);
});

test('overlong encodings and UTF-16 surrogates in UTF-8 are rejected', async (t) => {
  for (const bad of [
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
  ]) {
    const bytes = Buffer.concat([utf8('id\n'), Buffer.from(bad), utf8('\n')]);
    await t.throwsAsync(parseAll(chunked(bytes, 1)), { code: ErrorCode.INVALID_UTF8 });
  }
});

test('multi-byte characters split across 1-byte chunks survive', async (t) => {
  const csv = 'név,ville\n"Zoë, 中文",Montréal 😀\nßü,€\n';
  const expected = [
    { név: 'Zoë, 中文', ville: 'Montréal 😀' },
    { név: 'ßü', ville: '€' },
  ];
  t.deepEqual(await parseFields(chunked(csv, 1)), expected);
  t.deepEqual(await parseFields(chunked(csv, 2)), expected);
  t.deepEqual(await parseFields(chunked(csv, 3)), expected);
});

test('property: valid UTF-8 text in random chunks decodes exactly; the bad-byte finder agrees with TextDecoder', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), (text, seeds) => {
      const bytes = utf8(text);
      const cuts = [...new Set(seeds.map((seed) => seed % (bytes.length + 1)))].sort((a, b) => a - b);
      const decoder = new Utf8Decoder();
      let decoded = '';
      let previous = 0;
      for (const cut of [...cuts, bytes.length]) {
        const part = decoder.decode(bytes.subarray(previous, cut));
        previous = cut;
        if (typeof part !== 'string') return false;
        decoded += part;
      }
      const rest = decoder.end();
      return typeof rest === 'string' && decoded + rest === text.replace(/^\uFEFF/, '') && firstInvalidUtf8(bytes) === bytes.length;
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      return (firstInvalidUtf8(bytes) === bytes.length) === valid;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
