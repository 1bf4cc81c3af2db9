#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { prewarmEncodeWorker } from '@bulkpipe/transforms/prewarm';
import { wantsEncodeWorker } from './prewarm.js';

const argv = hideBin(process.argv);
// First, so the worker loads its modules while this thread loads the CLI's.
if (wantsEncodeWorker(argv)) prewarmEncodeWorker();

const { buildCli } = await import('./cli.js');
const { describeError, exitCodeFor } = await import('./command-runner.js');
try {
  await buildCli(argv).parseAsync();
} catch (error) {
  // Configuration errors raised before a command starts (e.g. an unreadable --config file).
  process.stderr.write(`bulkpipe: error: ${describeError(error)}\n`);
  process.exitCode = exitCodeFor(error);
}
