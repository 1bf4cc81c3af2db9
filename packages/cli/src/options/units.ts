/** Parsers for option values given as text: sizes with units, percentages. Each throws a coded usage error. */
import { invalidOption } from '@bulkpipe/core';

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib|k|m|g)?$/i;
const MULTIPLIER: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1_000_000,
  mb: 1_000_000,
  g: 1_000_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `50000000`, `50MB`, `256MiB`, `1.5GB` → bytes. A bare number is bytes. */
export function parseSize(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null;
  if (match) {
    const unit = (match[2] ?? 'b').toLowerCase();
    const bytes = Math.floor(Number(match[1]) * (MULTIPLIER[unit] ?? 1));
    if (bytes > 0) return bytes;
  }
  throw invalidOption(option, 'a positive size such as 50000000, 50MB or 256MiB', value);
}

/** `5%` or `0.05` → 0.05. A bare number above 1 is refused as ambiguous. */
export function parseFraction(option: string, value: unknown): number {
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.endsWith('%')) {
      const percent = Number(text.slice(0, -1));
      if (text.length > 1 && percent >= 0 && percent <= 100) return percent / 100;
    } else if (text !== '') {
      const fraction = Number(text);
      if (fraction >= 0 && fraction <= 1) return fraction;
    }
  }
  throw invalidOption(option, 'a percentage such as 5% or a fraction such as 0.05', value);
}

/** A positive integer (flags arrive as numbers or numeric strings). */
export function parsePositiveInteger(option: string, value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number) && number > 0) return number;
  throw invalidOption(option, 'a positive whole number', value);
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/i;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `90s`, `15m`, `1h`, `500ms`; a bare number is milliseconds. */
export function parseDuration(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (match) return Math.round(Number(match[1]) * (DURATION_MS[(match[2] ?? 'ms').toLowerCase()] ?? 1));
  throw invalidOption(option, 'a duration such as 90s, 15m or 1h', value);
}
