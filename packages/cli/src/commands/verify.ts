import type { CommandModule } from 'yargs';
import { verifySample } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { journalTarget, resolveTarget } from '../options/journal-target.js';
import { loadToken, withTargetOptions } from '../options/target-options.js';
import type { TargetArgs } from '../options/target-options.js';
import { parseFraction, parsePositiveInteger } from '../options/units.js';
import { formatPercent } from '@bulkpipe/transforms';

interface VerifyArgs extends TargetArgs {
  journal: string;
  sample: string;
  maxMismatchRate: string;
  json: boolean;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <journal>',
  describe: "Fetch a sample of a run's profiles back from Target and compare them with what was sent",
  builder: (yargs) =>
    withTargetOptions(yargs, { clientRequired: false })
      .positional('journal', { describe: 'The run journal', type: 'string' })
      .option('sample', { describe: 'Profiles to check', type: 'string', default: '100' })
      .option('max-mismatch-rate', { describe: "Exit 1 above this share of mismatches (Adobe allows ~0.1 % loss)", type: 'string', default: '0.1%' })
      .option('json', { describe: 'The verification report as JSON on stdout', type: 'boolean', default: false })
      .example('$0 verify nightly.journal --sample 200', 'Did last night’s profiles arrive?') as never,
  handler: (args) =>
    runCommand('verify', args, async (io) => {
      const target = resolveTarget(args, await journalTarget(args.journal));
      const token = loadToken(args.tokenFile);
      const report = await verifySample({
        journalPath: args.journal,
        sample: parsePositiveInteger('sample', args.sample),
        client: target.client,
        ...(target.baseUrl !== undefined ? { baseUrl: target.baseUrl } : {}),
        ...(token !== undefined ? { token } : {}),
        maxMismatchRate: parseFraction('max-mismatch-rate', args.maxMismatchRate),
        signal: io.signal,
      });
      if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        io.log(
          `verified ${report.checked} of ${report.recorded} sampled profiles: ${report.matched} match, ${report.mismatches.length} differ ` +
            `(${formatPercent(report.mismatchRate)}; threshold ${formatPercent(report.maxMismatchRate)}, Adobe's loss allowance ${formatPercent(report.allowance)})`,
        );
        for (const mismatch of report.mismatches.slice(0, 10)) {
          io.log(`  batch #${mismatch.seq} ${mismatch.id}: ${mismatch.problem}${mismatch.attributes.length > 0 ? ` (${mismatch.attributes.join(', ')})` : ''}`);
        }
      }
      return report.withinThreshold ? ExitCode.OK : ExitCode.FAILED;
    }),
};
