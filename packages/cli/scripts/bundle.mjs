/**
 * Bundles the built CLI (dist/, from `tsc -b`) and the encode worker into bundle/: the `bulkpipe` binary loads a
 * few files instead of ~150 modules of ours and yargs, which saved ~60 ms of every start and ~7 MB of peak RSS
 * (bench/RESULTS.md). Every output sits flat in bundle/, because transforms starts its workers by
 * `new URL('./encode-worker.js', import.meta.url)` (and partition-worker.js, run-merge-worker.js), which then
 * name files in bundle/ (test/split-scale-options.test.ts runs a spill that starts all three).
 *
 * Left out, loaded from node_modules at run time: the emulator (only `demo` and `emulator` load it, with its
 * native better-sqlite3) and undici (core loads it lazily through createRequire, which a bundler cannot see).
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const transformsDist = dirname(createRequire(join(cliRoot, 'package.json')).resolve('@bulkpipe/transforms'));
const outdir = join(cliRoot, 'bundle');

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    bin: join(cliRoot, 'dist', 'bin.js'),
    'encode-worker': join(transformsDist, 'parallel', 'encode-worker.js'),
    'partition-worker': join(transformsDist, 'merge', 'partition-worker.js'),
    'run-merge-worker': join(transformsDist, 'merge', 'run-merge-worker.js'),
  },
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@bulkpipe/emulator', 'undici'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
