/** What a resumed run compares with the journal: the configuration's hash and the inputs' fingerprints. */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { BulkpipeError, ErrorCode } from '../errors.js';
import type { InputFingerprint } from './records.js';

/** Bytes hashed at the start of each input. @see InputFingerprint */
export const FINGERPRINT_HEAD_BYTES = 1024 * 1024;

export async function fingerprintInput(path: string, headBytes = FINGERPRINT_HEAD_BYTES): Promise<InputFingerprint> {
  try {
    const info = await stat(path);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(headBytes, info.size));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return {
        source: path,
        size: info.size,
        mtimeMs: info.mtimeMs,
        headSha256: createHash('sha256').update(buffer.subarray(0, filled)).digest('hex'),
        headBytes: filled,
      };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new BulkpipeError(ErrorCode.INPUT_UNREADABLE, `Cannot fingerprint ${path}: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

/** Keys dropped from a configuration before hashing, at any depth: secrets never reach the journal, even hashed. */
export const SECRET_KEY_PATTERN = /token|secret|password|passwd|authorization|credential|api[-_]?key/i;

/**
 * `sha256:<hex>` of a configuration in canonical JSON (keys sorted, undefined and functions dropped, keys
 * matching SECRET_KEY_PATTERN dropped). Pass only what shapes the batches (id column, mapping, caps, API
 * version…), not what may change between attempts (concurrency, endpoint, journal path).
 */
export function configurationHash(config: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(config)).digest('hex')}`;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value, 0)) ?? 'null';
}

function canonical(value: unknown, depth: number): unknown {
  if (depth > 64) throw new BulkpipeError(ErrorCode.INVALID_OPTION, 'The configuration is nested too deep to hash');
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (Array.isArray(value)) return value.map((item) => canonical(item, depth + 1) ?? null);
  if (value instanceof Map) return canonical(Object.fromEntries(value), depth);
  if (value instanceof Set) return canonical([...value], depth);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (SECRET_KEY_PATTERN.test(key)) continue;
    const item = canonical((value as Record<string, unknown>)[key], depth + 1);
    if (item !== undefined) out[key] = item;
  }
  return out;
}
