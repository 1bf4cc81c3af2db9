/** `status` and `verify` read where a run sent from its journal; flags override what the journal says. */
import { existsSync } from 'node:fs';
import { readJournal, invalidOption } from '@bulkpipe/core';
import type { RunTarget } from '@bulkpipe/core';
import { checkClientCode, checkEndpoint } from './target-options.js';
import type { TargetArgs } from './target-options.js';

export interface ResolvedTarget {
  client: string;
  baseUrl?: string;
  apiVersion?: 'v1' | 'v2';
}

export async function journalTarget(journalPath: string): Promise<RunTarget | undefined> {
  if (!existsSync(journalPath)) return undefined;
  const replay = await readJournal(journalPath);
  return replay.runStart?.target;
}

export function resolveTarget(args: TargetArgs, fromJournal: RunTarget | undefined): ResolvedTarget {
  const client = args.client ?? fromJournal?.client;
  if (client === undefined) throw invalidOption('client', 'a Target client code (not recorded in the journal: pass --client)', client);
  const baseUrl = checkEndpoint(args.endpoint ?? fromJournal?.baseUrl);
  return {
    client: checkClientCode(client),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(fromJournal?.apiVersion !== undefined ? { apiVersion: fromJournal.apiVersion } : {}),
  };
}
