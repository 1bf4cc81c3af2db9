/**
 * Whatever validate lets through survives Target's reading of a batch line: percent-encode (core encoding.ts),
 * then an independent form decoder run once over the line (`+` → space, then decodeURIComponent), then a split
 * on `,`, gives back exactly the id and the values the policy admitted.
 */
import test from 'ava';
import fc from 'fast-check';
import { joinBatchLine, percentEncode } from '@bulkpipe/core';
import type { InputRecord, ProfileRow, RejectedRow } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { createValidateStep } from '../src/validate/index.js';

const HEADER = Object.freeze(['id', 'a', 'b', 'c']);

/** Strings rich in what breaks batch files: form-reserved chars, delimiters, spaces, non-ASCII, astral chars. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom('%', '&', '+', '=', ',', '\n', '\r', ' ', '"', "'", '!', '(', ')', '*', '~', '%2C', '%0A', 'é', '€', '😀', '\t', '/', '?', '#'),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

function formDecodeLine(line: string): string[] {
  return decodeURIComponent(line.replace(/\+/g, ' ')).split(',');
}

test('property: validate → percentEncode → form decode once → split on , gives back the admitted values', (t) => {
  let sent = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(tricky, tricky, tricky, tricky), { minLength: 1, maxLength: 8 }),
      fc.constantFrom<'reject' | 'replace' | 'drop'>('reject', 'replace', 'drop'),
      fc.constantFrom(' ', '_', '', ';'),
      (cells, onForbiddenChars, replacement) => {
        const ctx = new RunContext({ enforceRejectRate: false });
        const rejected: RejectedRow[] = [];
        ctx.events.on('reject', (row) => rejected.push(row));
        const records: InputRecord[] = cells.map(([id, a, b, c], i) => ({ source: 'p', line: i + 2, fields: { id, a, b, c }, columns: HEADER }));
        const rows: ProfileRow[] = runStep(createValidateStep({ idColumn: 'id', valuePolicy: { onForbiddenChars, replacement } }, ctx), records);
        if (rows.length + rejected.length !== records.length) return false;

        const byLine = new Map(records.map((r) => [r.line, r]));
        for (const row of rows) {
          const record = byLine.get(row.origins[0]!.line)!;
          const names = ['a', 'b', 'c'];
          const line = joinBatchLine(
            percentEncode(row.id),
            names.map((name) => percentEncode(row.attributes[name] ?? '')),
          );
          // Nothing Target's form decoder treats specially may be left raw.
          if (/[\r\n&=+ ]/.test(line)) return false;
          const decoded = formDecodeLine(line);
          if (decoded[0] !== record.fields.id) return false;
          for (let i = 0; i < names.length; i++) {
            const original = record.fields[names[i]!]!;
            const expected =
              onForbiddenChars === 'replace' ? original.replace(/[,\r\n]/g, replacement) : onForbiddenChars === 'drop' && /[,\r\n]/.test(original) ? '' : original;
            if ((decoded[i + 1] ?? '') !== expected) return false;
            if (onForbiddenChars === 'reject' && /[,\r\n]/.test(original)) return false;
          }
        }
        sent += rows.length;
        return true;
      },
    ),
    { numRuns: 500 },
  );
  // The property must have seen rows go through, or it proved nothing.
  t.true(sent > 200, `only ${sent} rows were admitted`);
});

test('the worked example: München, 50% & more, a+b=c', (t) => {
  const ctx = new RunContext();
  const columns = Object.freeze(['id', 'city', 'note']);
  const [row] = runStep(createValidateStep({ idColumn: 'id' }, ctx), [{ source: 's', line: 2, fields: { id: 'c 1', city: 'München', note: '50% & more, a+b=c' }, columns }]);
  t.is(row, undefined, 'a comma in a value is rejected by default');
  const [kept] = runStep(createValidateStep({ idColumn: 'id', valuePolicy: { onForbiddenChars: 'replace' } }, ctx), [
    { source: 's', line: 2, fields: { id: 'c 1', city: 'München', note: '50% & more, a+b=c' }, columns },
  ]);
  const line = joinBatchLine(percentEncode(kept!.id), [percentEncode(kept!.attributes.city!), percentEncode(kept!.attributes.note!)]);
  t.is(line, 'c%201,M%C3%BCnchen,50%25%20%26%20more%20%20a%2Bb%3Dc');
  t.deepEqual(formDecodeLine(line), ['c 1', 'München', '50% & more  a+b=c']);
});
