/**
 * Stdin as the encode worker reads it: straight from file descriptor 0, which every thread of the process shares.
 * A worker's own `process.stdin` is fed by the main thread, which would have to read and pass on every byte; the
 * main thread leaves descriptor 0 alone when stdin goes to the worker (it never touches `process.stdin` then).
 *
 * - A regular file (`bulkpipe split - < export.csv`) or a device such as /dev/null: synchronous reads, as for any
 *   plain file — they never block for long, and the worker has nothing else to do meanwhile.
 * - A pipe or socket: a libuv handle on descriptor 0 in the worker's event loop, as `process.stdin` is on the main
 *   thread, reading into one reused buffer (`onread`) and paused until the lane has taken each chunk. A blocking
 *   read could not be interrupted: a run stopped with Ctrl-C waited, worker and process, until whatever wrote to
 *   the pipe closed it (regression test in the CLI's stdin-worker tests). As a stream, a fresh 64 KiB buffer per
 *   read put the 1M-row piped split at ~520 MB peak RSS; with the reused buffer ~370 MB, as from a file.
 * - A terminal: a TTY stream (someone typing rows).
 */
import { fstatSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import { ReadStream, isatty } from 'node:tty';
import { readBufferReusable, unreadable } from '../parse/parse-input.js';

export const STDIN_FD = 0;

/** Reads into `buffer` from the descriptor; returns the bytes read (0 at the end). */
export type ReadInto = (buffer: Buffer) => number;

const readStdin: ReadInto = (buffer) => readSync(STDIN_FD, buffer, 0, buffer.length, null);

/**
 * Stdin's bytes for openInput: a stream over a TTY, the chunks of a pipe or socket (see pipeChunks), or else
 * synchronous reads (see fileChunks) — a regular file, and devices such as the /dev/null a cron job's stdin
 * usually is (a socket handle refuses those).
 */
export function stdinSource(chunkBytes: number): AsyncIterable<Buffer> | Readable {
  if (isatty(STDIN_FD)) return new ReadStream(STDIN_FD);
  let stream = false;
  try {
    const stats = fstatSync(STDIN_FD);
    stream = stats.isFIFO() || stats.isSocket();
  } catch {
    // unknown: read it as a file, and let the read say what is wrong
  }
  return stream ? pipeChunks(chunkBytes) : fileChunks(chunkBytes);
}

/** A pipe or socket on descriptor 0, read into one buffer (copied per chunk only for gzip, see fileChunks). */
async function* pipeChunks(chunkBytes: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafeSlow(chunkBytes);
  let filled = -1;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  // Node's Socket takes `onread` (typed only for connect()): paused after every read (returning false) until the
  // chunk has been taken, then the buffer is read into again.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd: STDIN_FD,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (bytesRead) => {
        filled = bytesRead;
        notify();
        return false;
      },
    },
  };
  const socket = new Socket(options);
  socket.on('end', () => {
    ended = true;
    notify();
  });
  socket.on('error', (error) => {
    failure = error;
    notify();
  });
  let reuse: boolean | undefined;
  try {
    for (;;) {
      while (filled < 0 && !ended && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw unreadable('stdin', failure.message, failure);
      if (filled < 0) return;
      const bytesRead = filled;
      filled = -1;
      reuse ??= readBufferReusable(buffer, bytesRead);
      yield reuse ? buffer.subarray(0, bytesRead) : Buffer.from(buffer.subarray(0, bytesRead));
      socket.resume();
    }
  } finally {
    socket.destroy();
  }
}

/**
 * A regular file (or device) on descriptor 0, `chunkBytes` at most at a time, in one buffer unless the input is
 * gzip (readBufferReusable).
 */
export async function* fileChunks(chunkBytes: number, readInto: ReadInto = readStdin): AsyncGenerator<Buffer> {
  let buffer = Buffer.allocUnsafeSlow(chunkBytes);
  let reuse: boolean | undefined;
  for (;;) {
    let bytesRead: number;
    try {
      bytesRead = readInto(buffer);
    } catch (error) {
      throw unreadable('stdin', (error as Error).message, error);
    }
    if (bytesRead === 0) return;
    reuse ??= readBufferReusable(buffer, bytesRead);
    yield buffer.subarray(0, bytesRead);
    if (!reuse) buffer = Buffer.allocUnsafeSlow(chunkBytes);
  }
}
