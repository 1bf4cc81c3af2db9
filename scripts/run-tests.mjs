#!/usr/bin/env node
// Runs build, type-check, lint and every package's tests through turbo, streams the output, and ends with one
// plain closing line — "tests: N passed, N failed" — totalled from each ava run, so CI logs show at a glance
// how many tests ran. The exit code is turbo's. Packages run one at a time: several suites start real servers
// and child processes, and on a 2-core machine running them side by side only trades speed for flakiness.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['scripts/pnpm.mjs', 'exec', 'turbo', 'run', 'build', 'typecheck', 'lint', 'test', '--continue', '--concurrency=1', '--output-logs=new-only', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
let pending = '';
const tally = (line) => {
  const ok = /(\d+) tests? passed/.exec(line);
  if (ok) passed += Number(ok[1]);
  const bad = /(\d+) (?:tests? failed|uncaught exceptions?|unhandled rejections?)/.exec(line);
  if (bad) failed += Number(bad[1]);
};
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (pending + chunk).split('\n');
  pending = lines.pop() ?? '';
  lines.forEach(tally);
});
child.on('close', (code) => {
  tally(pending);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(code ?? 1);
});
