import type { CommandModule } from 'yargs';
import { pollStatuses } from '@bulkpipe/transforms';
import type { PolledStatus } from '@bulkpipe/transforms';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { journalTarget, resolveTarget } from '../options/journal-target.js';
import { loadToken, withTargetOptions } from '../options/target-options.js';
import type { TargetArgs } from '../options/target-options.js';
import { formatCount } from '../output/format.js';

interface StatusArgs extends TargetArgs {
  source: string[];
  wait: boolean;
  json: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status <source...>',
  describe: "Show the Target status of a run's batches (from its journal) or of batch status URLs",
  builder: (yargs) =>
    withTargetOptions(yargs, { clientRequired: false })
      .positional('source', { describe: 'A run journal, or one or more batch status URLs', type: 'string', array: true })
      .option('wait', { describe: 'Poll until every batch is complete or stuck', type: 'boolean', default: false })
      .option('json', { describe: 'One JSON line per batch on stdout', type: 'boolean', default: false })
      .example('$0 status nightly.journal', "Where each batch of last night's run stands")
      .example('$0 status nightly.journal --wait', 'Poll until every batch is final')
      .example("$0 status 'https://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=acme-1-2' --client acme", 'One status URL, as Target returned it') as never,
  handler: (args) =>
    runCommand('status', args, async (io) => {
      const sources = args.source.map(String);
      const urls = sources.filter((source) => /^https?:\/\//.test(source));
      const journals = sources.filter((source) => !/^https?:\/\//.test(source));
      if (journals.length > 1 || (journals.length === 1 && urls.length > 0)) {
        io.log('bulkpipe status: give one journal, or status URLs');
        return ExitCode.USAGE;
      }
      const journalPath = journals[0];
      const target = resolveTarget(args, journalPath !== undefined ? await journalTarget(journalPath) : undefined);
      const token = loadToken(args.tokenFile);
      const statuses = await pollStatuses({
        client: target.client,
        ...(target.baseUrl !== undefined ? { baseUrl: target.baseUrl } : {}),
        ...(target.apiVersion !== undefined ? { apiVersion: target.apiVersion } : {}),
        ...(token !== undefined ? { token } : {}),
        ...(journalPath !== undefined ? { journalPath } : { statusUrls: urls }),
        wait: args.wait,
        signal: io.signal,
      });
      for (const status of statuses) {
        if (args.json) process.stdout.write(`${JSON.stringify(status)}\n`);
        else io.log(describeStatus(status));
      }
      const allFinalAndGood = statuses.every((status) => status.state === 'complete' && (status.status?.counts.failedUpdates ?? 0) === 0);
      return allFinalAndGood ? ExitCode.OK : ExitCode.FAILED;
    }),
};

function describeStatus(status: PolledStatus): string {
  const counts = status.status ? Object.entries(status.status.counts).map(([name, value]) => `${name} ${formatCount(value)}`).join(', ') : '';
  return (
    `#${status.seq} ${status.state}${status.fromJournal ? ' (from the journal)' : ''}` +
    (status.batchId !== undefined ? ` ${status.batchId}` : '') +
    (counts !== '' ? ` — ${counts}` : '') +
    (status.status && status.status.failedIds.length > 0 ? ` — ${status.status.failedIds.length} failed ids` : '')
  );
}
