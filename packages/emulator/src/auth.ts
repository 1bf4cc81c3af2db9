import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Profile API tokens (TARGET-API.md §5): generating one invalidates the previous one, a token may expire.
 * Only a SHA-256 of the token is stored, so a `--db` file never holds a usable secret, and the token itself
 * is returned once to whoever generated it and never logged.
 */

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export type TokenCheck = 'ok' | 'missing' | 'invalid' | 'expired';

export function checkToken(presented: string | undefined, storedHash: string | null | undefined, expiresAt: number | null | undefined, now: number): TokenCheck {
  if (presented === undefined) return 'missing';
  if (storedHash === null || storedHash === undefined) return 'invalid';
  const a = Buffer.from(tokenHash(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return 'invalid';
  if (expiresAt !== null && expiresAt !== undefined && now >= expiresAt) return 'expired';
  return 'ok';
}
