import test from 'ava';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './run-cli.js';

test('validate reports problems by code with examples and writes no batches', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'in.csv'), 'id,tier\nc-1,gold\nc/2,silver\nc-3,"a,b"\n');
  const result = await runCli(['validate', 'in.csv', '--id-column', 'id', '--max-reject-rate', '100%'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /BULKPIPE_ID_FORBIDDEN_CHAR: 1\n\s+in\.csv:3 id="c\/2"/);
  t.regex(result.stderr, /BULKPIPE_VALUE_FORBIDDEN_CHAR: 1\n\s+in\.csv:4/);
  t.deepEqual(readdirSync(dir), ['in.csv']);
});

test('validate goes through the whole input past the ceiling and exits 1', async (t) => {
  const dir = tempDir();
  const rows = ['id,tier', ...Array.from({ length: 3000 }, (_, i) => `${i % 2 === 0 ? '' : `c-${i}`},gold`)];
  writeFileSync(join(dir, 'in.csv'), rows.join('\n'));
  const rejects = join(dir, 'rejects.csv');
  const result = await runCli(['validate', 'in.csv', '--id-column', 'id', '--rejects', rejects], { cwd: dir });
  t.is(result.code, 1);
  t.regex(result.stderr, /read 3,000 = rejected 1,500 \+ merged 0 \+ sent 1,500/);
  t.true(existsSync(rejects));
});
