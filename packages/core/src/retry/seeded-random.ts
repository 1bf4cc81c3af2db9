/**
 * mulberry32: a tiny seeded PRNG with numbers in [0, 1) — a `Random` that replays under a seed (the emulator's
 * faults, test harnesses). Math.random cannot be seeded.
 */
import type { Random } from './time.js';

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
