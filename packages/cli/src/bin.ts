#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { buildCli } from './cli.js';
import { describeError, exitCodeFor } from './command-runner.js';

try {
  await buildCli(hideBin(process.argv)).parseAsync();
} catch (error) {
  // Configuration errors raised before a command starts (e.g. an unreadable --config file).
  process.stderr.write(`bulkpipe: error: ${describeError(error)}\n`);
  process.exitCode = exitCodeFor(error);
}
