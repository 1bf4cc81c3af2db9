/**
 * How the CLI reaches Target: client code, endpoint, API version and the token. The token is read from a file
 * or the BULKPIPE_TOKEN environment variable — never a flag, which would show in `ps` and shell history — and
 * lives only in memory from then on.
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { BulkpipeError, ErrorCode, invalidOption } from '@bulkpipe/core';

export const TOKEN_ENV = 'BULKPIPE_TOKEN';
export const API_VERSIONS = ['v1', 'v2'] as const;
export type ApiVersionArg = (typeof API_VERSIONS)[number];

export interface TargetArgs {
  client?: string;
  endpoint?: string;
  tokenFile?: string;
}

export function withTargetOptions<T>(yargs: Argv<T>, { clientRequired }: { clientRequired: boolean }): Argv<T & TargetArgs> {
  return yargs
    .option('client', { describe: 'Target client code (the {client} of {client}.tt.omtrdc.net)', type: 'string', demandOption: clientRequired })
    .option('endpoint', { describe: 'Base URL instead of https://{client}.tt.omtrdc.net (e.g. the emulator)', type: 'string' })
    .option('token-file', { describe: `File holding the profile API token (or set ${TOKEN_ENV})`, type: 'string' }) as unknown as Argv<T & TargetArgs>;
}

const CLIENT_CODE = /^[A-Za-z0-9_-]+$/;

export function checkClientCode(client: unknown): string {
  if (typeof client === 'string' && CLIENT_CODE.test(client)) return client;
  throw invalidOption('client', 'a Target client code (letters, digits, - and _)', client);
}

export function checkEndpoint(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalidOption('endpoint', 'an http(s) URL such as https://acme.tt.omtrdc.net', endpoint);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidOption('endpoint', 'an http(s) URL', endpoint);
  if (url.username || url.password) throw invalidOption('endpoint', 'a URL without credentials (use --token-file)', `${url.protocol}//…@${url.host}`);
  return endpoint.replace(/\/+$/, '');
}

/** The token from --token-file or BULKPIPE_TOKEN (file wins), trailing newline removed; undefined when neither. */
export function loadToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8');
    } catch (error) {
      // The OS message names the path and the reason, never the content.
      throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Cannot read --token-file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { option: 'token-file' });
    }
  } else if (env[TOKEN_ENV] !== undefined && env[TOKEN_ENV] !== '') {
    token = env[TOKEN_ENV];
  }
  if (token === undefined) return undefined;
  token = token.replace(/[\r\n]+$/, '');
  if (token === '' || /\s/.test(token)) {
    throw new BulkpipeError(ErrorCode.INVALID_OPTION, `The token ${tokenFile !== undefined ? `in ${tokenFile}` : `in ${TOKEN_ENV}`} is empty or contains whitespace (its value is not shown)`, { option: 'token-file' });
  }
  return token;
}
