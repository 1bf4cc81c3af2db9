/**
 * yargs' parser drops a lone `-` argument, the usual name for stdin. It is swapped for this token before
 * parsing and back by `restoreDash()` wherever a value is read.
 */
export const DASH_TOKEN = '\u0000-';

export function restoreDash<T>(value: T): T {
  if (value === DASH_TOKEN) return '-' as T;
  if (Array.isArray(value)) return value.map((item) => (item === DASH_TOKEN ? '-' : item)) as T;
  return value;
}
