/** `--threads 1|2`: the worker thread changes nothing a user can see but the time. Through the built binary. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { batchOutputs, runCli, sampleExportFixture } from './run-cli.js';

const { work, input } = sampleExportFixture(test, 20_000, 'bulkpipe-cli-threads-');

function outputs(dir: string): Record<string, unknown> {
  const files: Record<string, unknown> = batchOutputs(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { batches: unknown; summary: { counters: unknown } };
  files['manifest batches'] = manifest.batches;
  files['manifest counters'] = manifest.summary.counters;
  return files;
}

test('--threads 1 and --threads 2 write the same batch files, rejects.csv and manifest counters', async (t) => {
  for (const merge of ['last', 'reject']) {
    const one = await runCli(['split', input, '--out', join(work, `one-${merge}`), '--id-column', 'customer_id', '--merge', merge, '--threads', '1']);
    const two = await runCli(['split', input, '--out', join(work, `two-${merge}`), '--id-column', 'customer_id', '--merge', merge, '--threads', '2']);
    t.is(one.code, 0, one.stderr);
    t.is(two.code, 0, two.stderr);
    t.deepEqual(outputs(join(work, `two-${merge}`)), outputs(join(work, `one-${merge}`)), merge);
  }
});

test('--threads other than 1 or 2 is a usage error', async (t) => {
  const result = await runCli(['split', input, '--out', join(work, 'bad'), '--id-column', 'customer_id', '--threads', '4']);
  t.is(result.code, 2);
  t.regex(result.stderr, /threads/);
});
