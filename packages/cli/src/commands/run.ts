import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { runCommand } from '../command-runner.js';
import { withPipelineOptions, resolvePipelineArgs } from '../options/pipeline-options.js';
import type { PipelineArgs } from '../options/pipeline-options.js';
import { API_VERSIONS, checkClientCode, checkEndpoint, loadToken, withTargetOptions } from '../options/target-options.js';
import type { TargetArgs } from '../options/target-options.js';
import { parseDuration, parsePositiveInteger } from '../options/units.js';
import { runUploadCommand } from './upload-command.js';

interface RunArgs extends PipelineArgs, TargetArgs {
  api?: string;
  journal?: string;
  concurrency?: string;
  callsPerMinute?: string;
  wait: boolean;
  dryRun: boolean;
  out: string;
  statusDeadline?: string;
}

export const runCommandModule: CommandModule<object, RunArgs> = {
  command: 'run <input...>',
  describe: 'Split the inputs into batches and upload them to Target: rate-limited, retried, journaled, resumable',
  builder: (yargs) =>
    withTargetOptions(withPipelineOptions(yargs), { clientRequired: true })
      .option('api', { describe: 'Bulk API version (default: v2 for thirdPartyId, v1 for pcId)', choices: API_VERSIONS })
      .option('journal', { describe: 'Run journal; pointing at an unfinished run resumes it without re-sending accepted batches', type: 'string' })
      .option('concurrency', { describe: 'Batches in flight at once (default 2)', type: 'string' })
      .option('calls-per-minute', { describe: "The account's call budget, shared by submissions and status polls (default 50)", type: 'string' })
      .option('wait', { describe: 'Poll batch statuses until complete or stuck (--no-wait returns once all are accepted)', type: 'boolean', default: true })
      .option('status-deadline', { describe: 'Stop polling a batch after this long (default 1h)', type: 'string' })
      .option('dry-run', { describe: 'Build the batches and print the plan; send nothing', type: 'boolean', default: false })
      .option('out', { describe: 'Directory for rejects.csv, failed.csv and report.json', type: 'string', default: 'bulkpipe-out' })
      .example('BULKPIPE_TOKEN=$(cat token) $0 run customers.csv --client acme --id-column customer_id --journal nightly.journal', 'Upload, wait for every batch, resumable after a crash')
      .example('$0 run export.csv.gz --client acme --id-column tnt_id --id-type pcId --token-file token --no-wait', 'pcId keys go to the v1 API; return once accepted')
      .example('$0 run customers.csv --client acme --id-column customer_id --dry-run', 'What would be sent, without sending')
      .example('$0 run customers.csv --client acme --id-column id --endpoint http://127.0.0.1:8080', 'Against a local `bulkpipe emulator`') as never,
  handler: (args) =>
    runCommand('run', args, async (io) => {
      const resolved = resolvePipelineArgs(args);
      const client = checkClientCode(args.client);
      const baseUrl = checkEndpoint(args.endpoint);
      const token = loadToken(args.tokenFile);
      const apiVersion = (args.api as 'v1' | 'v2' | undefined) ?? (resolved.pipeline.idType === 'pcId' ? 'v1' : 'v2');
      const out = resolve(args.out);
      mkdirSync(out, { recursive: true });
      const { exitCode } = await runUploadCommand({
        command: 'run',
        resolved,
        io,
        out,
        upload: {
          client,
          apiVersion,
          ...(baseUrl !== undefined ? { baseUrl } : {}),
          ...(token !== undefined ? { token } : {}),
          ...(args.journal !== undefined ? { journalPath: resolve(args.journal) } : {}),
          ...(args.concurrency !== undefined ? { concurrency: parsePositiveInteger('concurrency', args.concurrency) } : {}),
          ...(args.callsPerMinute !== undefined ? { callsPerMinute: parsePositiveInteger('calls-per-minute', args.callsPerMinute) } : {}),
          ...(args.statusDeadline !== undefined ? { statusDeadlineMs: parseDuration('status-deadline', args.statusDeadline) } : {}),
          wait: args.wait,
          dryRun: args.dryRun,
        },
      });
      return exitCode;
    }),
};
