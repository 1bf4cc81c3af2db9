/**
 * The end of `bulkpipe split`: each batch becomes `<dir>/batch-00001.txt`, … — a complete body starting
 * `batch=`, sendable as is with `curl --data-binary @file` — and an entry for the manifest.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Batch } from '../batch/batch.js';
import { releaseBatch } from '../batch/byte-batcher.js';
import { batchFileName, outputError, prepareBatchDir } from './batch-dir.js';

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
}

/** An object-mode Writable of Batch chunks (arrays, or single batches); `entries` lists the files written. */
export class BatchFilesWriter extends Writable {
  readonly dir: string;
  /** One entry per file written, in batch order; complete once the stream has finished. */
  readonly entries: ManifestEntry[] = [];
  private readonly releaseBodies: boolean;

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
  }

  override _write(chunk: Batch[] | Batch, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeBatches(Array.isArray(chunk) ? chunk : [chunk]).then(() => callback(), callback);
  }

  private async writeBatches(batches: readonly Batch[]): Promise<void> {
    for (const batch of batches) {
      const file = batchFileName(batch.seq);
      try {
        // `wx`: never replace a file, so a repeated seq cannot silently overwrite an earlier batch.
        await writeFile(join(this.dir, file), batch.body, { flag: 'wx' });
      } catch (error) {
        throw outputError(`Cannot write batch ${batch.seq} to ${join(this.dir, file)}`, error);
      }
      const { rows, bytes, sha256, firstLine, lastLine } = batch;
      this.entries.push({ file, rows, bytes, sha256, firstLine, lastLine });
      if (this.releaseBodies) releaseBatch(batch);
    }
  }
}

/** A stream that writes every batch it is given into `dir`, prepared as `prepareBatchDir` says. */
export function writeBatchFiles(dir: string, options: BatchFilesOptions = {}): BatchFilesWriter {
  return new BatchFilesWriter(dir, options);
}
