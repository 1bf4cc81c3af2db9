/**
 * Small deterministic hashes (the seeded PRNG is core's `seededRandom`). Faults and generated ids must repeat
 * exactly under a seed, and they run once per row on hot paths, so these avoid node:crypto's per-call object
 * overhead.
 */

/** FNV-1a over UTF-16 code units, 32 bits, with a caller-chosen basis so several independent hashes exist. */
export function fnv1a32(text: string, basis = 0x811c9dc5): number {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so nearby inputs give unrelated outputs
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A uniform number in [0, 1) derived from the text and the seed. */
export function unitHash(text: string, seed: number): number {
  return fnv1a32(text, (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0) / 0x1_0000_0000;
}
