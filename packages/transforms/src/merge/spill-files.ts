/**
 * The temporary files one thread of a spilled merge has open in the spill directory: names them (each thread with
 * its own prefix, so two threads never pick the same name) and closes whatever is still open when the run stops.
 */
import { unlink } from 'node:fs';
import { join } from 'node:path';
import { SpillReader, SpillWriter } from './spill-file.js';

export class SpillFiles {
  private readonly writers = new Set<SpillWriter>();
  private readonly readers = new Set<SpillReader>();
  private count = 0;

  constructor(
    readonly dir: string,
    /** Starts every file name: `''` for the main thread, `w-` for the partition worker. */
    private readonly prefix = '',
  ) {}

  /** A new file of `kind` (`part`, `run`) for writing. */
  create(kind: string): SpillWriter {
    const writer = new SpillWriter(join(this.dir, `${this.prefix}${kind}-${String(++this.count).padStart(5, '0')}.bin`), this.dir);
    this.writers.add(writer);
    return writer;
  }

  /** Flushes and closes `writer`; returns the bytes it wrote. */
  finish(writer: SpillWriter): number {
    this.writers.delete(writer);
    writer.close();
    return writer.bytes;
  }

  open(path: string): SpillReader {
    const reader = new SpillReader(path, this.dir);
    this.readers.add(reader);
    return reader;
  }

  close(reader: SpillReader): void {
    this.readers.delete(reader);
    reader.close();
  }

  /**
   * Removes a file that has been read for good, in the thread pool: freeing its cached pages took ~10 ms a file
   * on the calling thread (0.6 s of a 10M-row run). A failure is left to the directory's removal at the end.
   */
  remove(path: string): void {
    unlink(path, () => undefined);
  }

  /** Closes every file still open, unflushed (the run is stopping; the directory goes next). */
  abandon(): void {
    for (const writer of this.writers) writer.abandon();
    for (const reader of this.readers) reader.close();
    this.writers.clear();
    this.readers.clear();
  }
}
