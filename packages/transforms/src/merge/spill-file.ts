/**
 * The records of a spilled merge's temporary files, written and read back in large pieces with synchronous
 * I/O (the merge is a synchronous step; page-cache writes of 256 KiB pieces cost less than the hops an
 * asynchronous writer would add per row).
 *
 * A record: u32 length of what follows, u8 kind, f64 first-seen seq, i32 shape, i32 source, f64 line,
 * i32 id bytes, i32 row bytes, i32 extra bytes, the row bytes (encoded, ASCII), the extra (UTF-8 JSON).
 * Rows carry their extra only when needed: a raw id that differs from the encoded one, several origins,
 * a folded row's state, a conflict.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { spillError } from './spill-dir.js';

export const RecordKind = {
  /** A row: its bytes are the batch line (encoded id, then `,value` per name of its shape). */
  ROW: 0,
  /**
   * A folded row's whole state (a dump of the in-memory merge): its bytes and shape as a ROW's (the shape in the
   * merged registry, see byte-fold.ts), every origin and, for policy `reject`, who set each value and any
   * conflict in the extra.
   */
  FOLDED: 1,
  /** An id whose rows conflict (policy `reject`): every line of it is rejected where it would have been sent. */
  CONFLICT: 2,
} as const;

const FIXED_BYTES = 4 + 1 + 8 + 4 + 4 + 8 + 4 + 4 + 4;
/** Size of each piece written or read. */
export const SPILL_BUFFER_BYTES = 256 * 1024;

export class SpillWriter {
  private readonly fd: number;
  private buf: Buffer;
  private length = 0;
  /** Bytes written so far (flushed or not). */
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly dir: string,
    bufferBytes = SPILL_BUFFER_BYTES,
  ) {
    try {
      this.fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      throw spillError(dir, error);
    }
    this.buf = Buffer.allocUnsafeSlow(bufferBytes);
  }

  write(kind: number, seq: number, shape: number, source: number, line: number, src: Buffer, start: number, end: number, idBytes: number, extra: string | undefined): void {
    const extraBytes = extra === undefined ? 0 : Buffer.byteLength(extra, 'utf8');
    const record = FIXED_BYTES + (end - start) + extraBytes;
    if (this.length + record > this.buf.length) {
      this.flush();
      if (record > this.buf.length) this.buf = Buffer.allocUnsafeSlow(record);
    }
    const buf = this.buf;
    let o = this.length;
    buf.writeUInt32LE(record - 4, o);
    buf[o + 4] = kind;
    buf.writeDoubleLE(seq, o + 5);
    buf.writeInt32LE(shape, o + 13);
    buf.writeInt32LE(source, o + 17);
    buf.writeDoubleLE(line, o + 21);
    buf.writeInt32LE(idBytes, o + 29);
    buf.writeInt32LE(end - start, o + 33);
    buf.writeInt32LE(extraBytes, o + 37);
    o += FIXED_BYTES;
    o += src.copy(buf, o, start, end);
    if (extra !== undefined) o += buf.write(extra, o, 'utf8');
    this.length = o;
    this.bytes += record;
  }

  flush(): void {
    let from = 0;
    try {
      while (from < this.length) from += writeSync(this.fd, this.buf, from, this.length - from);
    } catch (error) {
      throw spillError(this.dir, error);
    }
    this.length = 0;
  }

  /** Flushes and closes; the writer is done. */
  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  /** Closes without flushing (the run is failing; the file is removed with its directory). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Reads a spill file's records in order; the fields describe the current record until the next `next()`. */
export class SpillReader {
  private readonly fd: number;
  buf: Buffer;
  private filled = 0;
  private at = 0;
  private eof = false;
  kind = 0;
  seq = 0;
  shape = 0;
  source = 0;
  line = 0;
  idBytes = 0;
  /** The row bytes are `buf[start, end)`. */
  start = 0;
  end = 0;
  extra: string | undefined;

  constructor(
    readonly path: string,
    private readonly dir: string,
    bufferBytes = SPILL_BUFFER_BYTES,
  ) {
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw spillError(dir, error);
    }
    this.buf = Buffer.allocUnsafeSlow(bufferBytes);
  }

  /** Moves to the next record; false at the end of the file. */
  next(): boolean {
    if (!this.available(4)) return false;
    const record = this.buf.readUInt32LE(this.at) + 4;
    if (!this.available(record)) throw new Error(`bulkpipe bug: spill file ${this.path} ends inside a record`);
    const buf = this.buf;
    const o = this.at;
    this.kind = buf[o + 4]!;
    this.seq = buf.readDoubleLE(o + 5);
    this.shape = buf.readInt32LE(o + 13);
    this.source = buf.readInt32LE(o + 17);
    this.line = buf.readDoubleLE(o + 21);
    this.idBytes = buf.readInt32LE(o + 29);
    const rowBytes = buf.readInt32LE(o + 33);
    const extraBytes = buf.readInt32LE(o + 37);
    this.start = o + FIXED_BYTES;
    this.end = this.start + rowBytes;
    this.extra = extraBytes > 0 ? buf.toString('utf8', this.end, this.end + extraBytes) : undefined;
    this.at = o + record;
    return true;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /** True when `bytes` bytes from `at` are in the buffer, reading more (and moving the rest to the front) if needed. */
  private available(bytes: number): boolean {
    if (this.at + bytes <= this.filled) return true;
    if (this.eof && this.at >= this.filled) return false;
    const rest = this.filled - this.at;
    if (bytes > this.buf.length) {
      const wider = Buffer.allocUnsafeSlow(bytes);
      this.buf.copy(wider, 0, this.at, this.filled);
      this.buf = wider;
    } else {
      this.buf.copy(this.buf, 0, this.at, this.filled);
    }
    this.at = 0;
    this.filled = rest;
    while (this.filled < bytes && !this.eof) {
      let read: number;
      try {
        read = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, null);
      } catch (error) {
        throw spillError(this.dir, error);
      }
      if (read === 0) this.eof = true;
      this.filled += read;
    }
    return this.filled >= bytes;
  }
}
