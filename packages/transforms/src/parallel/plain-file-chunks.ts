/**
 * The encode worker's reads of an uncompressed file: synchronous, into one reused buffer. The worker thread has
 * nothing to do while it waits for its input, and reading through the async file API (a thread-pool round trip
 * per 256 KiB) left it idle ~20 % of the time on the 1M-row export, with the main thread idle too, waiting for
 * its chunks. Anything unusual — the file cannot be opened or is not a regular file, or it is gzip — is left to
 * `openInput` (parse/parse-input.ts), which gunzips and words the errors.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { startsWithGzipMagic, unreadable } from '../parse/parse-input.js';

/** The file's chunks (each valid until the next is read), or undefined when openInput should read it. */
export function plainFileChunks(path: string, chunkBytes: number): Generator<Buffer> | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(2);
    if (!fstatSync(fd).isFile() || (readSync(fd, head, 0, 2, 0) === 2 && startsWithGzipMagic(head))) {
      closeSync(fd);
      return undefined;
    }
  } catch {
    closeSync(fd);
    return undefined;
  }
  return chunks(path, fd, chunkBytes);
}

function* chunks(path: string, fd: number, chunkBytes: number): Generator<Buffer> {
  const buffer = Buffer.allocUnsafeSlow(chunkBytes);
  try {
    for (;;) {
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buffer, 0, chunkBytes, null);
      } catch (error) {
        throw unreadable(path, (error as Error).message, error);
      }
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}
