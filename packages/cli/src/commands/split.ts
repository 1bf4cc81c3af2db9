import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { runBatchPipeline, writeBatchFiles, writeManifest } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { withPipelineOptions, resolvePipelineArgs } from '../options/pipeline-options.js';
import type { PipelineArgs } from '../options/pipeline-options.js';
import { printSummary, runPipelineCommand } from './pipeline-run.js';

interface SplitArgs extends PipelineArgs {
  out: string;
  overwrite: boolean;
}

export const splitCommand: CommandModule<object, SplitArgs> = {
  command: 'split <input...>',
  describe: 'Turn CSV exports into Target-ready batch files, a manifest and rejects.csv (no network)',
  builder: (yargs) =>
    withPipelineOptions(yargs)
      .option('out', { describe: 'Output directory', type: 'string', demandOption: true })
      .option('overwrite', { describe: 'Replace batch files left in --out by an earlier run', type: 'boolean', default: false })
      .example('$0 split customers.csv --out batches --id-column customer_id', 'Batches of < 50 MB and ≤ 500,000 rows, keyed by thirdPartyId')
      .example('$0 split export.csv.gz --out out --id-column tnt_id --id-type pcId --merge first', 'A gzipped export keyed by pcId; the first value of a duplicate id wins')
      .example('cat export.csv | $0 split - --out out --mapping mapping.json --json', 'stdin, a mapping file, NDJSON events on stdout')
      .example('$0 split warehouse-*.csv --out out --id-column customer_id --memory 1GiB --temp-dir /data/tmp', 'Tens of millions of rows: past 1 GiB the merge spills to /data/tmp (same batches; the summary says how much)') as never,
  handler: (args) =>
    runCommand('split', args, async (io) => {
      const resolved = resolvePipelineArgs(args);
      const out = resolve(args.out);
      // The rejects file opens synchronously, before the batch writer has prepared the directory.
      mkdirSync(out, { recursive: true });
      // The pipeline's only sink: each body's memory can take a later batch once its file is written.
      const files = writeBatchFiles(out, { overwrite: args.overwrite, releaseBodies: true, digestOffThread: true });
      const result = await runPipelineCommand({
        command: 'split',
        resolved,
        io,
        execute: (ctx) => runBatchPipeline(resolved.pipeline, ctx, files),
        rejectsPath: join(out, 'rejects.csv'),
        batches: () => files.entries.map((entry, index) => ({ ...entry, seq: index + 1 })),
      });
      printSummary(io, result.summary, result.exitCode);
      if (result.error !== undefined && result.exitCode !== ExitCode.FAILED) return result.exitCode;
      await writeManifest(out, files.entries, result.summary);
      io.log(`bulkpipe split: wrote ${files.entries.length} batch files, manifest.json and rejects.csv to ${out}`);
      return result.exitCode;
    }),
};
