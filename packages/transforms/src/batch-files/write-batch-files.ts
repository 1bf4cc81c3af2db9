/**
 * The end of `bulkpipe split`: each batch becomes `<dir>/batch-00001.txt`, … — a complete body starting
 * `batch=`, sendable as is with `curl --data-binary @file` — and an entry for the manifest.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Batch } from '../batch/batch.js';
import { releaseBatch } from '../batch/byte-batcher.js';
import { digestPending, settleDigest } from '../batch/batch-digest.js';
import { batchFileName, outputError, prepareBatchDir } from './batch-dir.js';
import { FileDigests } from './file-digests.js';

/** One batch file, as listed in manifest.json. */
export interface ManifestEntry {
  /** File name inside the batch directory. */
  readonly file: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface BatchFilesOptions {
  /** Remove batch files and a manifest left by an earlier run instead of refusing the directory. @default false */
  overwrite?: boolean;
  /**
   * Release each batch once its file is written (releaseBatch), so that later batches are built in its memory.
   * Only when nothing else holds the batches (the CLI's split). @default false
   */
  releaseBodies?: boolean;
  /**
   * Hash each written file on a helper thread when its batch's SHA-256 is not known yet (batches of the byte
   * batcher make it when first read): the thread building batches does not spend ~22 ms per 50 MB on it. Costs
   * a thread (~11 MB). @default false
   */
  digestOffThread?: boolean;
}

/** An object-mode Writable of Batch chunks (arrays, or single batches); `entries` lists the files written. */
export class BatchFilesWriter extends Writable {
  readonly dir: string;
  /** One entry per file written, in batch order; complete once the stream has finished. */
  readonly entries: ManifestEntry[] = [];
  private readonly releaseBodies: boolean;
  private readonly digests: FileDigests | undefined;
  /** Digests being made on the helper thread, each filling in its entry (see writeBatches). */
  private readonly pendingDigests: Promise<void>[] = [];
  private digestFailure: Error | undefined;

  constructor(dir: string, options: BatchFilesOptions = {}) {
    const overwrite = options.overwrite ?? false;
    super({
      objectMode: true,
      highWaterMark: 1, // a batch is up to 50 MB: hold no more than one waiting
      construct(callback) {
        prepareBatchDir(dir, overwrite).then(() => callback(), callback);
      },
    });
    this.dir = dir;
    this.releaseBodies = options.releaseBodies ?? false;
    this.digests = options.digestOffThread === true ? new FileDigests() : undefined;
  }

  override _write(chunk: Batch[] | Batch, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeBatches(Array.isArray(chunk) ? chunk : [chunk]).then(() => callback(), callback);
  }

  private async writeBatches(batches: readonly Batch[]): Promise<void> {
    for (const batch of batches) {
      this.throwIfDigestFailed();
      const file = batchFileName(batch.seq);
      const path = join(this.dir, file);
      try {
        // `wx`: never replace a file, so a repeated seq cannot silently overwrite an earlier batch.
        await writeFile(path, batch.body, { flag: 'wx' });
      } catch (error) {
        throw outputError(`Cannot write batch ${batch.seq} to ${path}`, error);
      }
      if (this.digests !== undefined && digestPending(batch)) {
        // Hashed while the next batch is written; its entry and its release wait for the digest.
        const at = this.entries.push(entryOf(file, batch, '')) - 1;
        this.pendingDigests.push(
          this.digests.digest(path).then(
            (sha256) => {
              settleDigest(batch, sha256);
              this.entries[at] = entryOf(file, batch, sha256);
              if (this.releaseBodies) releaseBatch(batch);
            },
            (error: unknown) => {
              // Kept for the next batch or the end: a rejection waiting for _final would be an unhandled one.
              this.digestFailure ??= outputError(`Cannot hash batch ${batch.seq} in ${path}`, error);
            },
          ),
        );
        continue;
      }
      this.entries.push(entryOf(file, batch, batch.sha256));
      if (this.releaseBodies) releaseBatch(batch);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.all(this.pendingDigests)
      .finally(() => this.digests?.close())
      .then(() => this.throwIfDigestFailed())
      .then(() => callback(), callback);
  }

  private throwIfDigestFailed(): void {
    if (this.digestFailure !== undefined) throw this.digestFailure;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    Promise.resolve(this.digests?.close()).then(
      () => callback(error),
      () => callback(error),
    );
  }
}

function entryOf(file: string, batch: Batch, sha256: string): ManifestEntry {
  return { file, rows: batch.rows, bytes: batch.bytes, sha256, firstLine: batch.firstLine, lastLine: batch.lastLine };
}

/** A stream that writes every batch it is given into `dir`, prepared as `prepareBatchDir` says. */
export function writeBatchFiles(dir: string, options: BatchFilesOptions = {}): BatchFilesWriter {
  return new BatchFilesWriter(dir, options);
}
