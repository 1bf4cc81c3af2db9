/**
 * Keeping the token out of every error. bulkpipe builds its own messages without the token, but a server
 * (or a proxy) can echo request headers into a body we quote, and a transport error from a dependency is
 * not ours to vouch for; so text that came from outside passes through here before it reaches an error.
 */

export const REDACTED = '[redacted]';

/** Replaces every occurrence of each secret (and of its percent- and JSON-escaped forms) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/**
 * A copy of an error fit to be a `cause`: name, message, code, stack and the cause chain kept (redacted),
 * every other property (request options, headers, sockets) dropped.
 */
export function sanitizeError(error: unknown, secrets: readonly string[], depth = 0): Error {
  if (!(error instanceof Error)) return new Error(redact(String(error), secrets));
  const copy = new Error(redact(error.message, secrets));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : redact(error.stack, secrets);
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  if (error.cause !== undefined && depth < 4) {
    Object.defineProperty(copy, 'cause', { value: sanitizeError(error.cause, secrets, depth + 1), enumerable: false, writable: true, configurable: true });
  }
  return copy;
}
