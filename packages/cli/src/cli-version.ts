/** The CLI's version, from its package.json (yargs cannot find it from an ES module on its own: it said "unknown"). */
import { readFileSync } from 'node:fs';

export function cliVersion(): string {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
