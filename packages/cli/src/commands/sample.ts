import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { writeSampleExport } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { parseFraction, parsePositiveInteger } from '../options/units.js';
import { formatBytes, formatCount } from '../output/format.js';

interface SampleArgs {
  out: string;
  rows: string | number;
  seed: string | number;
  duplicateRate?: string;
  invalidRate?: string;
  json: boolean;
}

export const sampleCommand: CommandModule<object, SampleArgs> = {
  command: 'sample',
  describe: 'Write a realistic generated CRM export (duplicates, bad ids, quoting, non-ASCII) to try pipelines on',
  builder: (yargs) =>
    yargs
      .option('out', { describe: 'CSV file to write (replaced)', type: 'string', demandOption: true })
      .option('rows', { describe: 'Data rows', type: 'string', default: '100000' })
      .option('seed', { describe: 'Same seed, same bytes', type: 'string', default: '1' })
      .option('duplicate-rate', { describe: 'Share of rows repeating an earlier id (2% or 0.02)', type: 'string' })
      .option('invalid-rate', { describe: 'Share of rows with an invalid id (0.5% or 0.005)', type: 'string' })
      .option('json', { describe: 'Print the stats as JSON on stdout', type: 'boolean', default: false })
      .example('$0 sample --rows 1000000 --out export.csv', 'A 1M-row export, about 150 MB')
      .example('$0 sample --rows 1000 --seed 7 --invalid-rate 0 --out small.csv', 'A small clean export') as never,
  handler: (args) =>
    runCommand('sample', args, async (io) => {
      const out = resolve(args.out);
      mkdirSync(dirname(out), { recursive: true });
      const stats = await writeSampleExport(out, {
        rows: parsePositiveInteger('rows', args.rows),
        seed: parsePositiveInteger('seed', args.seed),
        ...(args.duplicateRate !== undefined ? { duplicateRate: parseFraction('duplicate-rate', args.duplicateRate) } : {}),
        ...(args.invalidRate !== undefined ? { invalidRate: parseFraction('invalid-rate', args.invalidRate) } : {}),
      });
      if (io.json) process.stdout.write(`${JSON.stringify({ file: out, ...stats })}\n`);
      else io.log(`bulkpipe sample: wrote ${formatCount(stats.rows)} rows (${formatBytes(stats.bytes)}) to ${out}`);
      return ExitCode.OK;
    }),
};
