import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './run-cli.js';

const dir = tempDir();
const input = join(dir, 'in.csv');
writeFileSync(input, 'id,tier\nc-1,gold\n');

const cases: { name: string; args: string[]; message: RegExp }[] = [
  { name: 'no command', args: [], message: /Name a command/ },
  { name: 'an unknown option', args: ['split', input, '--out', join(dir, 'o1'), '--id-column', 'id', '--bogus'], message: /Unknown argument: bogus/ },
  { name: 'a missing --id-column', args: ['split', input, '--out', join(dir, 'o2')], message: /id-column/ },
  { name: 'an input that does not exist', args: ['split', join(dir, 'nope.csv'), '--out', join(dir, 'o3'), '--id-column', 'id'], message: /Cannot read input .*nope\.csv/ },
  { name: 'a directory as input', args: ['split', dir, '--out', join(dir, 'o4'), '--id-column', 'id'], message: /is a directory/ },
  { name: 'an id column the header lacks', args: ['split', input, '--out', join(dir, 'o5'), '--id-column', 'customer_id'], message: /BULKPIPE_ID_COLUMN_MISSING/ },
  { name: 'a --max-bytes above Target\'s limit', args: ['split', input, '--out', join(dir, 'o6'), '--id-column', 'id', '--max-bytes', '60MB'], message: /max-bytes: expected at most Target's limit/ },
  { name: 'an ambiguous --max-reject-rate', args: ['split', input, '--out', join(dir, 'o7'), '--id-column', 'id', '--max-reject-rate', '5'], message: /5% or a fraction/ },
  { name: 'a mapping file that does not exist', args: ['split', input, '--out', join(dir, 'o8'), '--id-column', 'id', '--mapping', join(dir, 'none.json')], message: /BULKPIPE_INVALID_MAPPING/ },
  { name: 'a --replacement without --on-forbidden-chars replace', args: ['split', input, '--out', join(dir, 'o9'), '--id-column', 'id', '--replacement', '_'], message: /replacement/ },
];

for (const { name, args, message } of cases) {
  test(`${name} is a usage error: exit 2 with a clear message`, async (t) => {
    const result = await runCli(args);
    t.is(result.code, 2, result.stderr);
    t.regex(result.stderr, message);
  });
}

test('an output directory holding an earlier run is refused without --overwrite', async (t) => {
  const out = join(dir, 'reused');
  mkdirSync(out);
  writeFileSync(join(out, 'batch-00001.txt'), 'batch=thirdPartyId\n');
  const refused = await runCli(['split', input, '--out', out, '--id-column', 'id']);
  t.not(refused.code, 0);
  t.regex(refused.stderr, /overwrite/);
  const replaced = await runCli(['split', input, '--out', out, '--id-column', 'id', '--overwrite']);
  t.is(replaced.code, 0, replaced.stderr);
});

test('every command has --help with examples', async (t) => {
  for (const command of ['split', 'validate', 'sample']) {
    const result = await runCli([command, '--help']);
    t.is(result.code, 0);
    t.regex(result.stdout, /Examples:/, command);
  }
});

test('--version prints the package version (it said "unknown": yargs cannot find package.json from an ES module)', async (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const result = await runCli(['--version']);
  t.is(result.code, 0);
  t.is(result.stdout.trim(), version);
});
