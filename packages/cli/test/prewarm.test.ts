/**
 * The encode worker started before the CLI loads: which command lines start it, and that one started for
 * nothing (the config file says --threads 1) neither hangs the process nor changes the output.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { wantsEncodeWorker } from '../src/prewarm.js';
import { runCli, tempDir } from './run-cli.js';

test('the commands that merge files or stdin on two threads prewarm the worker (--presorted too); help and --threads 1 do not', (t) => {
  t.true(wantsEncodeWorker(['split', 'in.csv', '--out', 'o', '--id-column', 'id']));
  t.true(wantsEncodeWorker(['split', '-', '--out', 'o']));
  t.true(wantsEncodeWorker(['run', 'in.csv', '--threads', '2']));
  t.true(wantsEncodeWorker(['validate', 'in.csv']));
  t.true(wantsEncodeWorker(['demo']));
  t.true(wantsEncodeWorker(['split', 'in.csv', '--presorted']));
  for (const argv of [['split', '--help'], ['split', 'in.csv', '--threads', '1'], ['split', 'in.csv', '--threads=1'], ['emulator'], ['sample', '--rows', '10'], []]) {
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

test('a worker prewarmed before the config file is read maps as the file says: the output of --mapping on the command line', async (t) => {
  const dir = tempDir();
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,email,tier\nc-1,A@x.example,gold\nc-2,b@x.example,silver\nc-1,,\n');
  const mapping = join(dir, 'mapping.json');
  writeFileSync(mapping, JSON.stringify({ idColumn: 'id', columns: { email: { transforms: ['trim', 'lowercase', 'sha256'] } } }));
  const config = join(dir, 'bulkpipe.config.json');
  writeFileSync(config, JSON.stringify({ mapping }));
  const fromConfig = await runCli(['split', input, '--out', join(dir, 'config'), '--config', config]);
  const fromFlag = await runCli(['split', input, '--out', join(dir, 'flag'), '--mapping', mapping]);
  t.is(fromConfig.code, 0, fromConfig.stderr);
  t.is(fromFlag.code, 0, fromFlag.stderr);
  const body = readFileSync(join(dir, 'config', 'batch-00001.txt'), 'utf8');
  t.is(body, readFileSync(join(dir, 'flag', 'batch-00001.txt'), 'utf8'));
  t.true(body.startsWith('batch=thirdPartyId,email,tier\n'), body);
});
