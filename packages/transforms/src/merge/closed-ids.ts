/**
 * The `--presorted` check that an id does not come back after rows of other ids, in memory that does not grow
 * with the input: a direct-mapped table of 64-bit fingerprints of closed ids, each with the line its group
 * started on. A reopened id is caught while its entry is still in the table — always when fewer than
 * `entries` ids separate the two groups' hash slots' reuse, and with a chance that falls as more distinct ids
 * come between (a later id landing on the same slot replaces the entry). Sorted inputs are the common case and
 * reopen nothing; the check is for exports that turn out not to be grouped, which fail early and loudly.
 */

/** 2^20 entries × 16 bytes = 16 MiB, whatever the input size. */
const DEFAULT_ENTRIES = 1 << 20;
/** Int32s per entry, side by side so a lookup touches one cache line: hash 1, hash 2, source, line. */
const STRIDE = 4;

export class ClosedIds {
  private readonly mask: number;
  /** 0 as the line marks an empty entry (lines start at 1). Lines are kept as unsigned 32-bit numbers. */
  private readonly entries: Int32Array;
  /** Where the last `find` hit: the closed group's first line and source. */
  foundLine = 0;
  foundSource = 0;
  private lastAt = 0;
  private lastH1 = 0;
  private lastH2 = 0;

  constructor(entries = DEFAULT_ENTRIES) {
    if (entries & (entries - 1)) throw new Error('bulkpipe bug: ClosedIds entries must be a power of two');
    this.mask = entries - 1;
    this.entries = new Int32Array(entries * STRIDE);
  }

  /**
   * True when the id `buf[start, start + idBytes)` was closed before (its group's line in `foundLine`). Remembers
   * the id's entry for `closeFound`: a group is looked up when it opens and closed a few rows later.
   */
  find(buf: Uint8Array, start: number, idBytes: number): boolean {
    const h1 = fnv(buf, start, idBytes);
    const h2 = djb(buf, start, idBytes);
    const at = (h1 & this.mask) * STRIDE;
    this.lastAt = at;
    this.lastH1 = h1;
    this.lastH2 = h2;
    const entries = this.entries;
    if (entries[at + 3] === 0 || entries[at] !== h1 || entries[at + 1] !== h2) return false;
    this.foundSource = entries[at + 2]!;
    this.foundLine = entries[at + 3]! >>> 0;
    return true;
  }

  /** Records the id of the last `find` as closed; its group started at `line` of `source`. */
  closeFound(source: number, line: number): void {
    const entries = this.entries;
    const at = this.lastAt;
    entries[at] = this.lastH1;
    entries[at + 1] = this.lastH2;
    entries[at + 2] = source;
    entries[at + 3] = line | 0 || 1; // a line past 2^32 wraps (only the message's line number would be off)
  }
}

function fnv(buf: Uint8Array, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + length; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash;
}

/** A second, independent hash: the two together are a 64-bit fingerprint. */
function djb(buf: Uint8Array, start: number, length: number): number {
  let hash = 5381 ^ length;
  for (let i = start; i < start + length; i++) hash = (Math.imul(hash, 33) + buf[i]!) | 0;
  return Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
}
