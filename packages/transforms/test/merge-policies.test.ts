import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '@bulkpipe/core';
import type { ProfileRow } from '@bulkpipe/core';
import { createMergeStep } from '../src/merge/merge-step.js';
import type { MergePolicy } from '../src/merge/merge-options.js';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { plain, referenceMerge, rowsArb } from './merge-helpers.js';

const row = (id: string, line: number, attributes: Record<string, string>): ProfileRow => ({
  id,
  attributes,
  origins: [{ source: 'in.csv', line }],
});

function merge(rows: readonly ProfileRow[], policy?: MergePolicy): { out: ProfileRow[]; ctx: RunContext; rejectedLines: number[] } {
  const ctx = new RunContext({ maxRejectRate: 1 });
  const rejectedLines: number[] = [];
  ctx.events.on('reject', (reject) => rejectedLines.push(reject.line));
  ctx.counters.read = rows.length;
  const out = runStep(createMergeStep(policy ? { policy } : {}, ctx), rows);
  return { out, ctx, rejectedLines };
}

for (const policy of ['last', 'first', 'reject'] as const) {
  test(`policy ${policy} matches the reference merge on random inputs, and the books balance`, (t) => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const { out, ctx, rejectedLines } = merge(rows, policy);
        const expected = referenceMerge(rows, policy);
        assert.deepEqual(plain(out), plain(expected.rows));
        assert.deepEqual(rejectedLines, expected.rejectedLines);
        assert.equal(ctx.counters.read, ctx.counters.rejected + ctx.counters.merged + out.length);
        assert.equal(new Set(out.map((merged) => merged.id)).size, out.length);
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

test('last: the last non-empty value of each attribute wins; empties never erase', (t) => {
  const { out } = merge([row('7', 2, { tier: 'gold', city: 'Lyon' }), row('7', 3, { tier: 'silver', city: '' }), row('7', 4, { zip: '69001' })]);
  t.deepEqual(plain(out), plain([{ id: '7', attributes: { tier: 'silver', city: 'Lyon', zip: '69001' }, origins: [2, 3, 4].map((line) => ({ source: 'in.csv', line })) }]));
});

test('first: the first non-empty value of each attribute wins; later rows fill gaps', (t) => {
  const { out } = merge([row('7', 2, { tier: 'gold', city: '' }), row('7', 3, { tier: 'silver', city: 'Lyon' })], 'first');
  t.deepEqual(out[0]?.attributes, { tier: 'gold', city: 'Lyon' });
});

test('output comes at the end of input, in first-seen id order, with every folded line', (t) => {
  const ctx = new RunContext();
  const step = createMergeStep({}, ctx);
  const emitted: ProfileRow[] = [];
  for (const input of [row('b', 2, { x: '1' }), row('a', 3, { x: '2' }), row('b', 4, { y: '3' }), row('c', 5, {})]) {
    step.push(input, (out) => emitted.push(out));
  }
  t.is(emitted.length, 0);
  step.flush((out) => emitted.push(out));
  t.deepEqual(emitted.map((out) => out.id), ['b', 'a', 'c']);
  t.deepEqual(emitted[0]?.origins.map((origin) => origin.line), [2, 4]);
  t.deepEqual(emitted[2]?.attributes, {});
  t.is(ctx.counters.merged, 1);
});

test('reject: every row of a conflicting id is rejected, each naming its line, the attribute and the other line', (t) => {
  const { out, ctx } = merge(
    [row('7', 2, { tier: 'gold' }), row('8', 3, { tier: 'gold' }), row('7', 4, { tier: 'gold', city: 'Lyon' }), row('7', 5, { tier: 'silver' })],
    'reject',
  );
  t.deepEqual(out.map((kept) => kept.id), ['8']);
  const rejects = ctx.rejectsByCode.get(ErrorCode.DUPLICATE_CONFLICT)!.examples;
  t.deepEqual(rejects.map((reject) => [reject.line, reject.id]), [[2, '7'], [4, '7'], [5, '7']]);
  t.regex(rejects[0]!.message, /attribute "tier" on line 5/);
  t.regex(rejects[1]!.message, /"tier" on line 2 and line 5/);
  t.regex(rejects[2]!.message, /attribute "tier" on line 2/);
  t.deepEqual(ctx.counters, { ...ctx.counters, read: 4, rejected: 3, merged: 0 });
});

test('reject: equal values and gaps are not conflicts', (t) => {
  const { out, ctx } = merge([row('7', 2, { tier: 'gold' }), row('7', 3, { tier: 'gold', city: 'Lyon' }), row('7', 4, { tier: '' })], 'reject');
  t.deepEqual(out[0]?.attributes, { tier: 'gold', city: 'Lyon' });
  t.is(ctx.counters.rejected, 0);
  t.is(ctx.counters.merged, 2);
});

test('a conflict across inputs names the other input', (t) => {
  const ctx = new RunContext({ maxRejectRate: 1 });
  runStep(createMergeStep({ policy: 'reject' }, ctx), [
    { id: '7', attributes: { tier: 'gold' }, origins: [{ source: 'a.csv', line: 2 }] },
    { id: '7', attributes: { tier: 'silver' }, origins: [{ source: 'b.csv', line: 9 }] },
  ]);
  t.regex(ctx.rejectsByCode.get(ErrorCode.DUPLICATE_CONFLICT)!.examples[0]!.message, /on b\.csv line 9/);
});

test('an attribute named __proto__ stays an attribute', (t) => {
  const attributes = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>;
  const { out } = merge([row('1', 2, attributes), row('2', 3, attributes), row('2', 4, JSON.parse('{"__proto__":"y"}') as Record<string, string>)]);
  t.deepEqual(Object.keys(out[0]!.attributes), ['__proto__', 'a']);
  t.is(Object.getPrototypeOf(out[1]!.attributes), Object.prototype);
  t.is(Object.getOwnPropertyDescriptor(out[1]!.attributes, '__proto__')?.value, 'y');
});

test('invalid options are refused with a coded error naming the option', (t) => {
  const ctx = new RunContext();
  t.throws(() => createMergeStep({ policy: 'newest' as MergePolicy }, ctx), { code: ErrorCode.INVALID_OPTION, message: /policy.*"newest"/ });
  t.throws(() => createMergeStep({ maxMemoryBytes: 0 }, ctx), { code: ErrorCode.INVALID_OPTION, message: /maxMemoryBytes/ });
});
