import type { CommandModule } from 'yargs';
import { discardBatches, runBatchPipeline } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { withPipelineOptions, resolvePipelineArgs } from '../options/pipeline-options.js';
import type { PipelineArgs } from '../options/pipeline-options.js';
import type { BatchSummary } from '../output/summary.js';
import { printSummary, runPipelineCommand } from './pipeline-run.js';

export const validateCommand: CommandModule<object, PipelineArgs & { rejects?: string }> = {
  command: 'validate <input...>',
  describe: 'Run every check of split without writing batches; report problems by code with examples',
  builder: (yargs) =>
    withPipelineOptions(yargs)
      .option('rejects', { describe: 'Also write the rejected rows to this CSV file', type: 'string' })
      .example('$0 validate customers.csv --id-column customer_id', 'What would be rejected, and why, before a real run')
      .example('$0 validate export.csv --id-column email --mapping mapping.json --json', 'The report as NDJSON events') as never,
  handler: (args) =>
    runCommand('validate', args, async (io) => {
      const resolved = resolvePipelineArgs(args);
      const batches: BatchSummary[] = [];
      // validate reports every problem instead of stopping at the ceiling; the exit code still honours it.
      const result = await runPipelineCommand({
        command: 'validate',
        resolved,
        io,
        execute: (ctx) => runBatchPipeline(resolved.pipeline, ctx, discardBatches((batch) => batches.push({ seq: batch.seq, rows: batch.rows, bytes: batch.bytes, sha256: batch.sha256, firstLine: batch.firstLine, lastLine: batch.lastLine }))),
        ...(args.rejects !== undefined ? { rejectsPath: args.rejects } : {}),
        batches: () => batches,
        enforceRejectRate: false,
      });
      printSummary(io, result.summary, result.exitCode);
      return result.exitCode;
    }),
};
