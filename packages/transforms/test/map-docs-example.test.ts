/** docs/mapping.md is a test: every JSON block parses, and the complete example gives the output it shows. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { encodeBatchHeader, joinBatchLine, percentEncode } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { chainSteps, runStep } from '../src/step.js';
import { createMapStep, parseMapping } from '../src/map/index.js';
import { createValidateStep } from '../src/validate/index.js';

const doc = readFileSync(new URL('../../../docs/mapping.md', import.meta.url), 'utf8');
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

test('every JSON block of docs/mapping.md is a valid mapping', (t) => {
  const json = blocks('json');
  t.true(json.length >= 3);
  for (const block of json) t.notThrows(() => parseMapping(block, 'docs/mapping.md'));
});

test('the complete example produces the batch text the doc shows', (t) => {
  const csv = blocks('csv')[0]!.trimEnd().split('\n');
  const header = Object.freeze(csv[0]!.split(','));
  const cells = csv[1]!.split(',');
  const fields = Object.fromEntries(header.map((name, i) => [name, cells[i]!]));
  const mapping = parseMapping(blocks('json')[0]!, 'docs/mapping.md');
  const ctx = new RunContext();
  const step = chainSteps(createMapStep(mapping, ctx), createValidateStep({ idColumn: mapping.idColumn!, idType: mapping.idType }, ctx));
  const [row] = runStep(step, [{ source: 'customers.csv', line: 2, fields, columns: header }]);
  const names = Object.keys(row!.attributes);
  const text = `${encodeBatchHeader(mapping.idType!, names)}\n${joinBatchLine(
    percentEncode(row!.id),
    names.map((name) => percentEncode(row!.attributes[name]!)),
  )}\n`;
  const shown = /```\n(batch=[\s\S]*?)```/.exec(doc)?.[1];
  t.truthy(shown, 'the doc shows a batch text');
  t.is(text, shown ?? '');
  t.is(ctx.counters.warnings, 0);
});
