/**
 * The encode worker started before the CLI loads: which command lines start it, and that one started for
 * nothing (the config file says --threads 1) neither hangs the process nor changes the output.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { wantsEncodeWorker } from '../src/prewarm.js';
import { runCli, tempDir } from './run-cli.js';

test('the commands that merge files on two threads prewarm the worker; help, stdin, --presorted and --threads 1 do not', (t) => {
  t.true(wantsEncodeWorker(['split', 'in.csv', '--out', 'o', '--id-column', 'id']));
  t.true(wantsEncodeWorker(['run', 'in.csv', '--threads', '2']));
  t.true(wantsEncodeWorker(['validate', 'in.csv']));
  t.true(wantsEncodeWorker(['demo']));
  for (const argv of [['split', '--help'], ['split', '-', '--out', 'o'], ['split', 'in.csv', '--presorted'], ['split', 'in.csv', '--threads', '1'], ['split', 'in.csv', '--threads=1'], ['emulator'], ['sample', '--rows', '10'], []]) {
    t.false(wantsEncodeWorker(argv), argv.join(' '));
  }
});

test('a worker prewarmed for nothing (--threads 1 from the config file) leaves the run and its output as they were', async (t) => {
  const dir = tempDir();
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,tier\nc-1,gold\nc-2,silver\nc-1,\n');
  const config = join(dir, 'bulkpipe.config.json');
  writeFileSync(config, JSON.stringify({ threads: 1 }));
  const one = await runCli(['split', input, '--out', join(dir, 'one'), '--id-column', 'id', '--config', config]);
  const two = await runCli(['split', input, '--out', join(dir, 'two'), '--id-column', 'id']);
  t.is(one.code, 0, one.stderr);
  t.is(two.code, 0, two.stderr);
  t.deepEqual(readdirSync(join(dir, 'one')).sort(), readdirSync(join(dir, 'two')).sort());
  t.is(readFileSync(join(dir, 'one', 'batch-00001.txt'), 'utf8'), readFileSync(join(dir, 'two', 'batch-00001.txt'), 'utf8'));
});
