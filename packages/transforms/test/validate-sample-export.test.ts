/**
 * parse → validate on the generated sample export: the rejects are exactly the rows the generator planted as
 * bad (ids and forbidden values), by code, and every other row comes out as a ProfileRow.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ErrorCode, WarningCode } from '@bulkpipe/core';
import type { ProfileRow } from '@bulkpipe/core';
import { parseRecords } from '../src/parse/index.js';
import { RunContext } from '../src/run-context.js';
import { writeSampleExport } from '../src/sample/index.js';
import { stepToIterable } from '../src/step-stream.js';
import { createValidateStep } from '../src/validate/index.js';

test('every planted bad row is rejected with its code, every other row validated', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'bulkpipe-validate-')), 'sample.csv');
  const stats = await writeSampleExport(path, { rows: 20_000, seed: 7 });
  const ctx = new RunContext({ enforceRejectRate: false });
  let rows = 0;
  let leakedNames = 0;
  for await (const chunk of stepToIterable(createValidateStep({ idColumn: 'customer_id' }, ctx), parseRecords(path, {}, ctx))) {
    rows += chunk.length;
    for (const row of chunk as ProfileRow[]) {
      if (Object.keys(row.attributes).some((name) => name.startsWith('profile.') || name === 'customer_id')) leakedNames++;
    }
  }
  const count = (code: string) => ctx.rejectsByCode.get(code)?.count ?? 0;
  t.is(ctx.counters.read, stats.rows);
  t.is(count(ErrorCode.ID_EMPTY), stats.invalidIds.empty);
  t.is(count(ErrorCode.ID_FORBIDDEN_CHAR), stats.invalidIds.plus + stats.invalidIds.slash);
  t.is(count(ErrorCode.ID_TOO_LONG), stats.invalidIds.tooLong);
  t.is(count(ErrorCode.VALUE_FORBIDDEN_CHAR), stats.forbiddenValueRows.notes + stats.forbiddenValueRows.company);
  t.is(ctx.counters.rejected + rows, stats.rows);
  t.is(ctx.warningsByCode.get(WarningCode.VALUE_LONG)?.count ?? 0, stats.longValueRows);
  t.is(leakedNames, 0);
  t.true(stats.invalidIdRows > 0 && stats.forbiddenValueRows.notes > 0, 'the sample planted bad rows');
});
