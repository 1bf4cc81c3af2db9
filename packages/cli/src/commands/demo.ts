import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { formatPercent, verifySample, writeSampleExport } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { resolvePipelineArgs } from '../options/pipeline-options.js';
import { parsePositiveInteger } from '../options/units.js';
import { formatBytes, formatCount } from '../output/format.js';
import { runUploadCommand, writeReport } from './upload-command.js';

interface DemoArgs {
  out: string;
  rows: string;
  seed: string;
  maxRows: string;
  json: boolean;
}

const DEMO_CLIENT = 'demo';

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'The whole job on a generated export: a local Target emulator, upload, status, verification, report',
  builder: (yargs) =>
    yargs
      .option('out', { describe: 'Directory for the sample, journal, rejects.csv, failed.csv and report.json', type: 'string', default: 'bulkpipe-demo' })
      .option('rows', { describe: 'Rows of the generated export', type: 'string', default: '200000' })
      .option('seed', { describe: 'Seed of the generated export', type: 'string', default: '1' })
      .option('max-rows', { describe: 'Rows per batch (small, to show several batches)', type: 'string', default: '50000' })
      .option('json', { describe: 'NDJSON events on stdout', type: 'boolean', default: false })
      .example('$0 demo', '200,000 rows with duplicates and bad rows, uploaded to an in-process emulator')
      .example('$0 demo --rows 1000000 --max-rows 500000', 'A bigger run with Target-size batches') as never,
  handler: (args) =>
    runCommand('demo', args, async (io) => {
      const out = resolve(args.out);
      mkdirSync(out, { recursive: true });
      const samplePath = join(out, 'sample.csv');
      const journalPath = join(out, 'demo.journal');
      // Each demo is a fresh run: an old journal would make this one a resume.
      rmSync(journalPath, { force: true });

      const rows = parsePositiveInteger('rows', args.rows);
      const stats = await writeSampleExport(samplePath, { rows, seed: parsePositiveInteger('seed', args.seed) });
      io.log(`demo: generated ${formatCount(stats.rows)} rows (${formatBytes(stats.bytes)}) with ${formatCount(stats.duplicateRows)} duplicate ids and ${formatCount(stats.invalidIdRows)} invalid ids → ${samplePath}`);

      // Target's defaults: 50 calls a minute, authentication on, asynchronous processing.
      const { startEmulator } = await import('@bulkpipe/emulator'); // loaded only by the commands that start it
      const emulator = await startEmulator({ settings: { requireAuth: true, processingDelayMs: 500 } });
      const { token } = emulator.generateToken(DEMO_CLIENT);
      io.log(`demo: Target emulator on ${emulator.url} (client "${DEMO_CLIENT}", authentication on, 50 calls/min)`);
      try {
        const resolved = resolvePipelineArgs({ input: [samplePath], idColumn: 'customer_id', maxRows: args.maxRows });
        const { exitCode, summary, report } = await runUploadCommand({
          command: 'demo',
          resolved,
          io,
          out,
          upload: { client: DEMO_CLIENT, baseUrl: emulator.url, token, journalPath, status: { initialDelayMs: 1000 } },
        });
        if (report === undefined) return exitCode;

        const verification = await verifySample({ journalPath, sample: 100, client: DEMO_CLIENT, baseUrl: emulator.url, token, signal: io.signal });
        const verdict =
          `verified ${verification.checked} sampled profiles by fetching them back: ${verification.matched} match, ${verification.mismatches.length} differ ` +
          `(${formatPercent(verification.mismatchRate)}, Adobe's loss allowance ${formatPercent(verification.allowance)})`;
        await writeReport(out, { summary, upload: report, verification });
        if (io.json) io.event('verify', { ...verification });
        else io.log(verdict);
        io.log(`demo: outputs in ${out} (sample.csv, demo.journal, rejects.csv, failed.csv, report.json)`);
        if (exitCode !== ExitCode.OK) return exitCode;
        return verification.withinThreshold ? ExitCode.OK : ExitCode.FAILED;
      } finally {
        await emulator.close();
      }
    }),
};
