/**
 * Where parse gets its bytes: a file path, `-` for stdin, a Node Readable or any async iterable of byte or
 * string chunks. Counts raw bytes as they arrive, gunzips when the first bytes are gzip's magic number, and
 * honours the run's abort signal even while a read is pending.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BulkpipeError, ErrorCode, isBulkpipeError } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';

/** A file path, `'-'` for stdin, a Node Readable (bytes or strings), or an async iterable of chunks. */
export type ParseInput = string | Readable | AsyncIterable<Uint8Array | string>;

export type InputChunk = Uint8Array | string;

/**
 * File reads of 256 KiB: measured on a page-cached 155 MB file, reading in 64 KiB chunks took ~150 ms and
 * 256 KiB ~35 ms (fewer reads and buffers); a few chunks in flight still keep memory constant.
 */
const READ_CHUNK_BYTES = 256 * 1024;

/** The label records and errors carry when the caller gives none. */
export function defaultSourceLabel(input: ParseInput): string {
  if (input === '-') return 'stdin';
  if (typeof input === 'string') return input;
  return 'stream';
}

/** The input's chunks, decompressed, counted in `ctx.counters.bytesRead` (raw bytes) and abortable. */
export function openInput(input: ParseInput, source: string, ctx: RunContext): AsyncIterable<InputChunk> {
  const raw: AsyncIterable<InputChunk> =
    input === '-' ? process.stdin : typeof input === 'string' ? readFileChunks(input) : input;
  // A stream's iterator cannot be ended while a read is pending; destroying the stream can (and closes it).
  const stream = isReadable(raw) ? raw : undefined;
  return gunzipIfCompressed(countBytes(abortable(raw, ctx.signal, source, () => stream?.destroy()), ctx), source);
}

function isReadable(value: unknown): value is Readable {
  return typeof (value as Readable).destroy === 'function' && typeof (value as Readable).read === 'function';
}

/**
 * Reads a file in READ_CHUNK_BYTES chunks into **one reused buffer**: each chunk is decoded before the next
 * read starts (the consumer pulls), so nothing needs a fresh buffer. Fresh 256 KiB buffers per read were
 * ~150 MB of dead external memory at a time on the 1M-row export (they die old, and only a full GC frees
 * them). A gzip file gets fresh buffers: zlib holds its input past the yield.
 */
async function* readFileChunks(path: string): AsyncGenerator<Buffer> {
  let file: FileHandle | undefined;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw unreadable(path, 'it is a directory');
    file = await open(path, 'r');
    let buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    let reuse: boolean | undefined;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      reuse ??= readBufferReusable(buffer, bytesRead);
      yield buffer.subarray(0, bytesRead);
      if (!reuse) buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    }
  } catch (error) {
    if (isBulkpipeError(error)) throw error;
    throw unreadable(path, describeOsError(error), error);
  } finally {
    // Leaving the loop early (abort, downstream error) lands here too, so the file always closes.
    await file?.close();
  }
}

/**
 * Whether a reader may read its next chunk into the buffer it just yielded, judged on the first read (`bytesRead`
 * bytes in `buffer`): yes unless the input is gzip (or too short to tell), since zlib holds its input past the
 * yield; plain chunks are consumed before the next read.
 */
export function readBufferReusable(buffer: Uint8Array, bytesRead: number): boolean {
  return bytesRead >= 2 && !startsWithGzipMagic(buffer);
}

export function unreadable(path: string, reason: string, cause?: unknown): BulkpipeError {
  return new BulkpipeError(ErrorCode.INPUT_UNREADABLE, `Cannot read input ${path}: ${reason}.`, { source: path }, { cause });
}

function describeOsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
  };
  const reason = code !== undefined ? reasons[code] : undefined;
  return reason !== undefined ? `${reason} (${code})` : String(message ?? error);
}

async function* countBytes(source: AsyncIterable<InputChunk>, ctx: RunContext): AsyncGenerator<InputChunk> {
  for await (const chunk of source) {
    ctx.counters.bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    yield chunk;
  }
}

/**
 * Yields `source` until `signal` aborts; an abort rejects at once even while a read is pending (stdin may
 * never answer), and ends the source so files close.
 */
async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal, label: string, onAbort: () => void): AsyncGenerator<T> {
  const abortError = (): BulkpipeError =>
    new BulkpipeError(ErrorCode.ABORTED, 'Reading the input was aborted.', { source: label }, { cause: signal.reason });
  if (signal.aborted) throw abortError();
  const iterator = source[Symbol.asyncIterator]();
  let listener = (): void => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    listener = () => {
      reject(abortError());
      onAbort();
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  aborted.catch(() => {});
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', listener);
    // Not awaited: a generator busy in a pending read would only answer once that read does.
    if (!finished) Promise.resolve(iterator.return?.()).catch(() => {});
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** The first two bytes are gzip's magic number (gzip is recognised by them, never by a file name). */
export function startsWithGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/** Recognises gzip by its magic bytes (never by the file name) and gunzips in the stream. */
async function* gunzipIfCompressed(source: AsyncIterable<InputChunk>, label: string): AsyncGenerator<InputChunk> {
  const iterator = source[Symbol.asyncIterator]();
  const head: InputChunk[] = [];
  let headBytes = 0;
  let done = false;
  try {
    while (headBytes < 2) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(next.value);
      if (typeof next.value === 'string') break; // text chunks are never compressed
      headBytes += next.value.length;
    }
    const rest: AsyncIterable<InputChunk> = {
      [Symbol.asyncIterator]: () => replay(head, done ? undefined : iterator),
    };
    if (!isGzip(head)) {
      yield* rest;
      return;
    }
    yield* gunzip(rest as AsyncIterable<Uint8Array>, label);
  } finally {
    if (!done) await iterator.return?.();
  }
}

function isGzip(head: readonly InputChunk[]): boolean {
  const bytes: number[] = [];
  for (const chunk of head) {
    if (typeof chunk === 'string') return false;
    for (const byte of chunk) {
      bytes.push(byte);
      if (bytes.length === 2) return bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
    }
  }
  return false;
}

async function* replay<T>(head: readonly T[], tail: AsyncIterator<T> | undefined): AsyncGenerator<T> {
  yield* head;
  if (tail === undefined) return;
  for (;;) {
    const next = await tail.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* gunzip(source: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<Buffer> {
  // Output in chunks of a file read, not zlib's 16 KiB: each chunk costs the parser (or the worker's lane) a round
  // of its own, and a gzip 1M-row split took 2.36–2.58 s with 16 KiB, 2.01–2.08 s with 256 KiB (+6 MB).
  const gunzipper = createGunzip({ chunkSize: READ_CHUNK_BYTES });
  // pipeline() ends at gunzip's writable side; its readable side is consumed right here.
  const feeding = pipeline(source, gunzipper).then(
    () => undefined,
    (error: unknown) => error,
  );
  try {
    for await (const chunk of gunzipper) yield chunk as Buffer;
    const error = await feeding;
    if (error !== undefined) throw error;
  } catch (error) {
    throw isZlibError(error)
      ? new BulkpipeError(
          ErrorCode.GZIP_CORRUPT,
          `The gzip-compressed input ${label} is truncated or corrupt (${(error as Error).message}); re-copy or re-export it.`,
          { source: label },
          { cause: error },
        )
      : error;
  } finally {
    gunzipper.destroy();
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
