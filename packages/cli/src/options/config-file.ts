/**
 * `bulkpipe.config.json`: the same options as the flags, in camelCase or kebab-case, so a nightly job can keep
 * its settings in the repository. Flags given on the command line override it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';

export const DEFAULT_CONFIG_FILE = 'bulkpipe.config.json';

/**
 * Reads the config file: the one named, or `bulkpipe.config.json` in the working directory when present.
 * Returns {} when none applies. A named file that is missing or not a JSON object is a usage error.
 */
export function loadConfigFile(path: string | undefined, cwd = process.cwd()): Record<string, unknown> {
  const explicit = path !== undefined;
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (!explicit && !existsSync(file)) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Cannot read config file ${file}: ${(error as Error).message}`, { option: 'config' }, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Config file ${file} is not valid JSON: ${(error as Error).message}`, { option: 'config' }, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Config file ${file} must hold a JSON object of options, e.g. {"idColumn": "customer_id"}`, { option: 'config' });
  }
  return parsed as Record<string, unknown>;
}
