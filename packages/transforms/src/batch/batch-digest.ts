/**
 * A batch's SHA-256 made when it is first read, unless someone who computed it elsewhere settles it first.
 *
 * Hashing a 50 MB body costs ~22 ms of the thread that builds batches — about a fifth of the drain of the 1M-row
 * reference export, and the drain runs on the main thread alone while the other core idles. The batch-files
 * sink can hash the file it just wrote on a helper thread instead (file-digests.ts) and settle the digest;
 * every other reader (the upload's journal, `validate`) reads `sha256` as before and pays for it then.
 */
import { createHash } from 'node:crypto';
import type { Batch } from './batch.js';

/** Batches whose digest is still to be made, with the settle function of each. */
const unsettled = new WeakMap<object, (sha256: string) => void>();

/** Gives `batch` an enumerable `sha256`: the digest of `body`, computed on first read unless settled before. */
export function defineLazyDigest<T extends object>(batch: T, body: Buffer): T & { readonly sha256: string } {
  let sha256: string | undefined;
  unsettled.set(batch, (digest) => {
    sha256 = digest;
    unsettled.delete(batch);
  });
  Object.defineProperty(batch, 'sha256', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (sha256 === undefined) {
        sha256 = createHash('sha256').update(body).digest('hex');
        unsettled.delete(batch);
      }
      return sha256;
    },
  });
  return batch as T & { readonly sha256: string };
}

/** Whether nobody has read or settled `batch.sha256` yet (only batches of defineLazyDigest can be unsettled). */
export function digestPending(batch: Batch): boolean {
  return unsettled.has(batch);
}

/**
 * Gives `batch` its digest, computed elsewhere over exactly its body's bytes (the file it was written to). A
 * no-op when the digest is known already.
 */
export function settleDigest(batch: Batch, sha256: string): void {
  unsettled.get(batch)?.(sha256);
}
