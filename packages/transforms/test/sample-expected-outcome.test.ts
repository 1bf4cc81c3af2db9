/**
 * The generator's prediction and the real pipeline must agree: the demo, the bench check and tests of other
 * stages rely on `expectedDefaultOutcome` and the planted counts to know what a run of a sample should report.
 */
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { discardBatches, runBatchPipeline } from '../src/assemble/batch-pipeline.js';
import { RunContext } from '../src/run-context.js';
import { SampleExportGenerator, sampleExportStream } from '../src/sample/index.js';
import type { SampleExportOptions } from '../src/sample/index.js';

async function runDefaultSplit(options: SampleExportOptions) {
  const generator = new SampleExportGenerator(options);
  const ctx = new RunContext({ maxRejectRate: 1 });
  let batchedRows = 0;
  await runBatchPipeline(
    { inputs: [sampleExportStream(generator)], idColumn: 'customer_id' },
    ctx,
    discardBatches((batch) => (batchedRows += batch.rows)),
  );
  const rejects = (code: string): number => ctx.rejectsByCode.get(code)?.count ?? 0;
  return { stats: generator.stats(), ctx, batchedRows, rejects };
}

for (const options of [
  { rows: 20_000, seed: 1 },
  { rows: 5_000, seed: 2, duplicateRate: 0.3, invalidRate: 0.1, forbiddenValueRate: 0.1 },
  { rows: 5_000, seed: 3, delimiter: ';', lineEnding: '\r\n' as const, bom: true, duplicateRate: 0.2 },
]) {
  test(`a default split reports what the generator predicts: ${JSON.stringify(options)}`, async (t) => {
    const { stats, ctx, batchedRows, rejects } = await runDefaultSplit(options);
    const { read, rejected, merged, sent } = ctx.counters;
    t.is(read, stats.rows);
    t.deepEqual({ rejected, merged, sent }, stats.expectedDefaultOutcome);
    t.is(batchedRows, stats.expectedDefaultOutcome.sent);
    t.is(rejects(ErrorCode.ID_EMPTY), stats.invalidIds.empty);
    t.is(rejects(ErrorCode.ID_TOO_LONG), stats.invalidIds.tooLong);
    t.is(rejects(ErrorCode.ID_FORBIDDEN_CHAR), stats.invalidIds.plus + stats.invalidIds.slash);
    t.is(rejects(ErrorCode.VALUE_FORBIDDEN_CHAR), stats.forbiddenValueRows.notes + stats.forbiddenValueRows.company);
  });
}

test('the default sample stays under the default 5 % reject ceiling', async (t) => {
  const generator = new SampleExportGenerator({ rows: 20_000 });
  const ctx = new RunContext();
  await t.notThrowsAsync(runBatchPipeline({ inputs: [sampleExportStream(generator)], idColumn: 'customer_id' }, ctx, discardBatches()));
  t.true(ctx.counters.rejected > 0, 'the demo shows some rejects');
});
