import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { BulkpipeError, ErrorCode, invalidOption } from '@bulkpipe/core';
import type { ClientSettings, EmulatorOptions } from '@bulkpipe/emulator';
import { runCommand } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';

interface EmulatorArgs {
  host: string;
  port: number;
  db?: string;
  processingDelayMs?: number;
  rateLimit?: number;
  requireAuth: boolean;
  fault?: string[];
  seed: number;
  publicUrl?: string;
  client?: string;
  tokenFile?: string;
  tokenTtlMs?: number;
  quiet: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Options from the flags; values are validated by the emulator itself (one set of rules). */
function emulatorOptions(args: EmulatorArgs, log: (line: string) => void): EmulatorOptions {
  const settings: Partial<ClientSettings> = {};
  if (args.processingDelayMs !== undefined) settings.processingDelayMs = args.processingDelayMs;
  if (args.rateLimit !== undefined) settings.rateLimitCalls = args.rateLimit;
  if (args.requireAuth) settings.requireAuth = true;
  if (args.tokenTtlMs !== undefined) settings.tokenTtlMs = args.tokenTtlMs;
  return {
    host: args.host,
    port: args.port,
    seed: args.seed,
    settings,
    faults: args.fault ?? [],
    ...(args.db !== undefined ? { dbPath: resolve(args.db) } : {}),
    ...(args.publicUrl !== undefined ? { publicUrl: args.publicUrl } : {}),
    ...(args.quiet ? {} : { log }),
  };
}

/** The emulator's own option errors (EmulatorOptionError, same code string) become core's coded usage error (exit 2). */
function asUsageError(error: unknown): unknown {
  if (error instanceof Error && (error as { code?: string }).code === ErrorCode.INVALID_OPTION && !(error instanceof BulkpipeError)) {
    return new BulkpipeError(ErrorCode.INVALID_OPTION, error.message, { option: (error as { option?: string }).option ?? 'emulator' });
  }
  return error;
}

export const emulatorCommand: CommandModule<object, EmulatorArgs> = {
  command: 'emulator',
  describe: 'Run a local Target-compatible profile API (bulk v1/v2, status, single update, fetch) with fault injection',
  builder: (yargs) =>
    yargs
      .option('host', { describe: 'Interface to bind; anything but loopback exposes the admin API', type: 'string', default: '127.0.0.1' })
      .option('port', { describe: 'TCP port (0 = any free port)', type: 'number', default: 0 })
      .option('db', { describe: 'SQLite file to keep state across restarts (default: in memory)', type: 'string' })
      .option('processing-delay-ms', { describe: 'Delay before a queued batch is applied', type: 'number' })
      .option('rate-limit', { describe: 'Bulk calls per minute per client before 503 (0 = off)', type: 'number' })
      .option('require-auth', { describe: 'Require a bearer token on every profile API call', type: 'boolean', default: false })
      .option('client', { describe: 'Client code to generate a token for (with --token-file)', type: 'string' })
      .option('token-file', { describe: 'Write a generated token for --client to this file (mode 600); it is never printed', type: 'string' })
      .option('token-ttl-ms', { describe: 'Lifetime of generated tokens', type: 'number' })
      .option('fault', { describe: 'Fault rule kind[:key=value,…] (repeatable), see docs/emulator.md', type: 'string', array: true })
      .option('seed', { describe: 'Seed of fault probabilities, dropped rows and generated ids', type: 'number', default: 1 })
      .option('public-url', { describe: 'Base URL to put in returned status URLs (default: the request Host)', type: 'string' })
      .option('quiet', { describe: 'Do not log one line per request on stderr', type: 'boolean', default: false })
      .implies('token-file', 'client')
      .example('$0 emulator --port 8080', 'Serve http://127.0.0.1:8080, state in memory')
      .example('$0 emulator --db target.db --processing-delay-ms 2000', 'Keep state across restarts; batches stay incomplete for 2 s')
      .example('$0 emulator --require-auth --client acme --token-file .acme-token', 'Require a bearer token and write one for client acme')
      .example("$0 emulator --fault 'status:code=503,times=3,endpoint=batchUpdate' --fault 'drop-rows:fraction=0.001'", 'Three 503s, then lose 0.1 % of rows')
      .example("$0 emulator --fault 'reset:when=after-accept,probability=0.2' --seed 7", 'Reset a fifth of the calls after queueing them, repeatably') as never,
  handler: (args) =>
    runCommand('emulator', {}, async (io) => {
      if (!isLoopback(args.host)) io.log(`bulkpipe emulator: warning: binding ${args.host}, not loopback: anyone who can reach it can read profiles and change settings through /_emulator/`);
      let emulator;
      try {
        // Loaded here, not at the top: the emulator (SQLite) is ~100 ms of module loading every other command skips.
        const { startEmulator } = await import('@bulkpipe/emulator');
        emulator = await startEmulator(emulatorOptions(args, (line) => io.log(line)));
      } catch (error) {
        throw asUsageError(error);
      }
      try {
        if (args.tokenFile !== undefined) {
          if (args.client === undefined || args.client === '') throw invalidOption('client', 'a client code to generate the token for', args.client);
          const { token, expiresAt } = emulator.generateToken(args.client);
          writeFileSync(resolve(args.tokenFile), `${token}\n`, { mode: 0o600 });
          io.log(`bulkpipe emulator: token for client ${args.client} written to ${args.tokenFile}${expiresAt === null ? '' : ` (expires ${new Date(expiresAt).toISOString()})`}`);
        }
        // the one line on stdout: scripts read the base URL from it
        process.stdout.write(`${emulator.url}\n`);
        if (!io.signal.aborted) await new Promise<void>((resolveStop) => io.signal.addEventListener('abort', () => resolveStop(), { once: true }));
      } finally {
        await emulator.close();
      }
      return ExitCode.OK;
    }),
};
