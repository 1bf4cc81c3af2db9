import type { CommandModule } from 'yargs';
import { TargetClient } from '@bulkpipe/core';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import { checkClientCode, checkEndpoint, loadToken, withTargetOptions } from '../options/target-options.js';
import type { TargetArgs } from '../options/target-options.js';

const ID_KINDS = ['thirdPartyId', 'pcId', 'ecid'] as const;

interface FetchArgs extends TargetArgs {
  id: string[];
  idType: (typeof ID_KINDS)[number];
}

export const fetchCommand: CommandModule<object, FetchArgs> = {
  command: 'fetch <id...>',
  describe: 'Fetch profiles from Target by thirdPartyId, pcId (tntId) or ECID and print them as JSON lines',
  builder: (yargs) =>
    withTargetOptions(yargs, { clientRequired: true })
      .positional('id', { describe: 'Profile ids', type: 'string', array: true })
      .option('id-type', { describe: 'What the ids are', choices: ID_KINDS, default: 'thirdPartyId' as const })
      .example('$0 fetch --client acme c-000017 c-000018', 'Two profiles by thirdPartyId')
      .example('$0 fetch --client acme --id-type pcId 84e8d0e211054f18af365d65f45e902b.28_131', 'By Target visitor id') as never,
  handler: (args) =>
    runCommand('fetch', {}, async (io) => {
      const endpoint = checkEndpoint(args.endpoint);
      const token = loadToken(args.tokenFile);
      const client = new TargetClient({ client: checkClientCode(args.client), ...(endpoint !== undefined ? { baseUrl: endpoint } : {}), ...(token !== undefined ? { token } : {}) });
      let missing = 0;
      try {
        for (const id of args.id.map(String)) {
          const ref = args.idType === 'pcId' ? { pcId: id } : args.idType === 'ecid' ? { marketingCloudVisitorId: id } : { thirdPartyId: id };
          const lookup = await client.fetchProfile(ref, { signal: io.signal });
          if (lookup.found) process.stdout.write(`${JSON.stringify(lookup.profile)}\n`);
          else {
            missing++;
            io.log(`${id}: ${lookup.message}`);
          }
        }
      } finally {
        await client.close();
      }
      return missing === 0 ? ExitCode.OK : ExitCode.FAILED;
    }),
};
