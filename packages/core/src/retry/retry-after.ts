/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP date. Target does not document
 * sending it, but proxies and gateways in front of it do, and honouring it is always right.
 */

/**
 * The wait a `Retry-After` value asks for, in ms from `nowMs` (never negative), or undefined when the
 * header is absent or unreadable (an unreadable header is ignored, not an error: the backoff still applies).
 */
export function parseRetryAfterMs(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the HTTP-date forms: Date.parse alone would also accept "1" or "tomorrow"-ish strings.
  if (!/^[A-Za-z]{3},? \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
