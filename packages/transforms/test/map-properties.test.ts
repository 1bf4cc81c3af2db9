/** Invariants of the map step on random headers and random mappings. */
import test from 'ava';
import fc from 'fast-check';
import { isBulkpipeError } from '@bulkpipe/core';
import type { InputRecord } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { runStep } from '../src/step.js';
import { VALUE_TRANSFORMS, createMapStep, parseMapping } from '../src/map/index.js';

const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'City', 'E-mail', 'x y');
const transforms = fc.array(fc.constantFrom(...VALUE_TRANSFORMS), { maxLength: 3 });
const rule = fc.oneof(fc.boolean(), fc.record({ rename: name, transforms }, { requiredKeys: [] }));
const mappingJson = fc.record(
  {
    columns: fc.dictionary(name, rule, { maxKeys: 4 }),
    otherColumns: fc.constantFrom('keep', 'drop'),
    derive: fc.dictionary(name, fc.record({ from: name, transforms }), { maxKeys: 2 }),
    constants: fc.dictionary(name, fc.constantFrom('k', 'salesforce', ''), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);
const header = fc.uniqueArray(name, { minLength: 1, maxLength: 6 });
const cell = fc.oneof(fc.constant(''), fc.constant(' Mixed Case  value '), fc.string({ maxLength: 6 }));

test('property: output keys are unique, within the output header, constants everywhere, dropped columns gone', (t) => {
  let mapped = 0;
  fc.assert(
    fc.property(mappingJson, header, fc.array(fc.array(cell, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), (json, columns, rows) => {
      const mapping = parseMapping(json);
      const frozen = Object.freeze(columns);
      const records: InputRecord[] = rows.map((cells, i) => ({
        source: 'p',
        line: i + 2,
        columns: frozen,
        fields: Object.fromEntries(cells.slice(0, columns.length).map((value, j) => [columns[j]!, value])),
      }));
      let out: InputRecord[];
      try {
        out = runStep(createMapStep(mapping, new RunContext()), records);
      } catch (error) {
        // The only allowed failure: the mapping names a missing column, or two outputs share a name.
        return isBulkpipeError(error) && /not in the header|gives two columns the name/.test(error.message);
      }
      mapped++;
      const outColumns = out[0]!.columns;
      if (new Set(outColumns).size !== outColumns.length) return false;
      const again = runStep(createMapStep(mapping, new RunContext()), records);
      if (JSON.stringify(again) !== JSON.stringify(out)) return false;
      return out.every((record, i) => {
        if (record.columns !== outColumns || record.line !== records[i]!.line) return false;
        if (!Object.keys(record.fields).every((key) => outColumns.includes(key))) return false;
        if (!mapping.constants.every((c) => record.fields[c.name] === c.value)) return false;
        const dropped = mapping.columns.filter((r) => !r.keep).map((r) => r.column);
        const produced = new Set(outColumns);
        return dropped.every((column) => !produced.has(column) || mapping.columns.some((r) => r.rename === column) || mapping.derive.some((d) => d.name === column) || mapping.constants.some((c) => c.name === column));
      });
    }),
    { numRuns: 400 },
  );
  t.true(mapped > 50, `only ${mapped} mappings applied`);
});
