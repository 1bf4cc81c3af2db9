import test from 'ava';
import { parseRetryAfterMs } from '../src/retry/retry-after.js';

const NOW = Date.parse('2026-11-28T18:00:00.000Z');

test('Retry-After in seconds', (t) => {
  t.is(parseRetryAfterMs('120', NOW), 120_000);
  t.is(parseRetryAfterMs(' 0 ', NOW), 0);
  t.is(parseRetryAfterMs(['7', '9'], NOW), 7_000);
});

test('Retry-After as an HTTP date, never negative', (t) => {
  t.is(parseRetryAfterMs('Sat, 28 Nov 2026 18:01:05 GMT', NOW), 65_000);
  t.is(parseRetryAfterMs('Sat, 28 Nov 2026 17:00:00 GMT', NOW), 0);
});

test('absent or unreadable Retry-After is ignored', (t) => {
  for (const value of [undefined, '', 'soon', '-5', '1.5', 'tomorrow', '2026-11-28T18:01:00Z']) t.is(parseRetryAfterMs(value, NOW), undefined, String(value));
});
