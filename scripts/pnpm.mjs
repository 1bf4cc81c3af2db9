#!/usr/bin/env node
// Runs the pinned pnpm without a global install: corepack cannot verify this registry's metadata, so the
// version named in package.json#packageManager is fetched (and cached) through npx instead.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const rootManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pinned = rootManifest.packageManager; // e.g. "pnpm@10.34.9"
const result = spawnSync('npx', ['--yes', pinned, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, COREPACK_ENABLE_STRICT: '0', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
});
if (result.error) {
  console.error(`could not start ${pinned} through npx: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
