/** The `bulkpipe` command line, built without side effects so tests can run it in-process. */
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { splitCommand } from './commands/split.js';
import { validateCommand } from './commands/validate.js';
import { sampleCommand } from './commands/sample.js';
import { emulatorCommand } from './commands/emulator.js';
import { runCommandModule } from './commands/run.js';
import { demoCommand } from './commands/demo.js';
import { statusCommand } from './commands/status.js';
import { fetchCommand } from './commands/fetch.js';
import { verifyCommand } from './commands/verify.js';
import { loadConfigFile } from './options/config-file.js';
import { ExitCode } from './exit-codes.js';
import { DASH_TOKEN } from './dash-token.js';
import { cliVersion } from './cli-version.js';

/** `--config FILE` or `--config=FILE`, read before yargs so the file's values become defaults that flags override. */
function findConfigFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--config') return argv[i + 1];
    if (arg?.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

export function buildCli(argv: readonly string[], cwd = process.cwd()): Argv {
  const wantsHelp = argv.includes('--help') || argv.includes('-h') || argv.length === 0;
  const config = wantsHelp ? {} : loadConfigFile(findConfigFlag(argv), cwd);
  const cli = yargs(argv.map((arg) => (arg === '-' ? DASH_TOKEN : arg)))
    .scriptName('bulkpipe')
    .usage('$0 <command> [options]\n\nStream CRM and warehouse exports into Adobe Target profiles (Bulk Profile Update API).')
    .config(config)
    .command(demoCommand)
    .command(runCommandModule)
    .command(statusCommand)
    .command(verifyCommand)
    .command(fetchCommand)
    .command(splitCommand)
    .command(validateCommand)
    .command(sampleCommand)
    .command(emulatorCommand)
    .demandCommand(1, 'Name a command: bulkpipe <command> --help shows its options and examples.')
    .strict()
    .fail((message, error) => {
      // yargs exits 1 on usage errors by default; bulkpipe documents 2 for them.
      if (error) throw error;
      process.stderr.write(`bulkpipe: ${message}\nRun bulkpipe --help (or bulkpipe <command> --help) for options and examples.\n`);
      process.exit(ExitCode.USAGE);
    })
    .recommendCommands()
    .epilogue('Exit codes: 0 done, 1 rejected too much / failed / books unbalanced, 2 usage or configuration, 3 aborted.\nDocs: docs/cli.md')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .help()
    .version(cliVersion());
  skipHelpCaching(cli);
  return cli;
}

/**
 * yargs renders the whole help text of the command it runs, once the handler has started, and keeps it for a
 * handler that might print it (`showHelp`); no bulkpipe handler does (usage errors go through `.fail` above,
 * `--help` renders its own). On a 1M-row split that rendering was 40–50 ms of the main thread just as the
 * worker starts sending rows (1.64 s against 1.70 s, medians of 6 interleaved runs; a 100-row split 0.14 s
 * against 0.16 s). yargs has no option for it: its usage object's method is replaced, when it is there
 * (yargs is pinned; a version without it just keeps caching).
 */
function skipHelpCaching(cli: Argv): void {
  const internals = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
