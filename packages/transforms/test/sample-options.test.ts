import test from 'ava';
import { ErrorCode, isBulkpipeError } from '@bulkpipe/core';
import { resolveSampleExportOptions } from '../src/sample/index.js';
import type { SampleExportOptions } from '../src/sample/index.js';

test('defaults are resolved once into a frozen object', (t) => {
  const resolved = resolveSampleExportOptions({ rows: 10 });
  t.deepEqual(resolved, {
    rows: 10, seed: 1, duplicateRate: 0.02, invalidRate: 0.005, forbiddenValueRate: 0.01, delimiter: ',', lineEnding: '\n', bom: false,
  });
  t.true(Object.isFrozen(resolved));
});

const invalid: [string, SampleExportOptions][] = [
  ['rows', { rows: -1 }],
  ['rows', { rows: 1.5 }],
  ['rows', { rows: Number.NaN }],
  ['seed', { rows: 1, seed: 0.5 }],
  ['duplicateRate', { rows: 1, duplicateRate: 1.5 }],
  ['invalidRate', { rows: 1, invalidRate: -0.1 }],
  ['forbiddenValueRate', { rows: 1, forbiddenValueRate: Number.NaN }],
  ['duplicateRate', { rows: 1, duplicateRate: 0.6, invalidRate: 0.6 }],
  ['delimiter', { rows: 1, delimiter: '"' }],
  ['lineEnding', { rows: 1, lineEnding: '\r' as '\n' }],
  ['bom', { rows: 1, bom: 'yes' as unknown as boolean }],
];

for (const [option, options] of invalid) {
  test(`an invalid ${option} is a coded error naming it: ${JSON.stringify(options)}`, (t) => {
    const error: unknown = t.throws(() => resolveSampleExportOptions(options));
    if (!isBulkpipeError(error, ErrorCode.INVALID_OPTION)) return t.fail(`not an INVALID_OPTION error: ${String(error)}`);
    t.is(error.context.option, option);
  });
}
