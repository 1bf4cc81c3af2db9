/**
 * The `--presorted` check that an id does not come back after rows of other ids, in memory that does not grow
 * with the input: a direct-mapped table of 64-bit fingerprints of closed ids, each with the line its group
 * started on. A reopened id is caught while its entry is still in the table — always when fewer than
 * `entries` ids separate the two groups' hash slots' reuse, and with a chance that falls as more distinct ids
 * come between (a later id landing on the same slot replaces the entry). Sorted inputs are the common case and
 * reopen nothing; the check is for exports that turn out not to be grouped, which fail early and loudly.
 */

/** 2^20 entries × 20 bytes = 20 MiB, whatever the input size. */
const DEFAULT_ENTRIES = 1 << 20;

export class ClosedIds {
  private readonly mask: number;
  private readonly first: Int32Array;
  private readonly second: Int32Array;
  private readonly source: Int32Array;
  /** 0 marks an empty entry (lines start at 1). */
  private readonly line: Float64Array;
  /** Where the last `find` hit: the closed group's first line and source. */
  foundLine = 0;
  foundSource = 0;

  constructor(entries = DEFAULT_ENTRIES) {
    if (entries & (entries - 1)) throw new Error('bulkpipe bug: ClosedIds entries must be a power of two');
    this.mask = entries - 1;
    this.first = new Int32Array(entries);
    this.second = new Int32Array(entries);
    this.source = new Int32Array(entries);
    this.line = new Float64Array(entries);
  }

  /** True when the id `buf[start, start + idBytes)` was closed before (its group's line in `foundLine`). */
  find(buf: Uint8Array, start: number, idBytes: number): boolean {
    const h1 = fnv(buf, start, idBytes);
    const h2 = djb(buf, start, idBytes);
    const entry = h1 & this.mask;
    if (this.line[entry] === 0 || this.first[entry] !== h1 || this.second[entry] !== h2) return false;
    this.foundLine = this.line[entry]!;
    this.foundSource = this.source[entry]!;
    return true;
  }

  /** Records the id `buf[start, start + idBytes)` as closed; its group started at `line` of `source`. */
  close(buf: Uint8Array, start: number, idBytes: number, source: number, line: number): void {
    const h1 = fnv(buf, start, idBytes);
    const entry = h1 & this.mask;
    this.first[entry] = h1;
    this.second[entry] = djb(buf, start, idBytes);
    this.source[entry] = source;
    this.line[entry] = line;
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
