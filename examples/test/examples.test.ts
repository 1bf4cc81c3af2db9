/** Every example runs as a user would run it, and its output must match its .expected.txt exactly. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const examples = readdirSync(srcDir).filter((file) => file.endsWith('.ts'));

for (const file of examples) {
  test(`example ${file} prints what its .expected.txt says`, (t) => {
    const output = execFileSync(process.execPath, ['--import=tsx', srcDir + file], { encoding: 'utf8', cwd: srcDir });
    const expected = readFileSync(srcDir + file.replace(/\.ts$/, '.expected.txt'), 'utf8');
    t.is(output, expected);
  });
}
