/**
 * What the encode worker hands the main thread: a few thousand validated, percent-encoded rows as bytes (the
 * same bytes RecordEncoder writes into the merge's arena) with a typed-array index, plus everything the rows'
 * records raised on the way — headers, rejects and warnings — in the order they happened, each with the
 * read counters at that moment, so the main thread's RunContext sees exactly what a single-thread run sees.
 * Buffers are transferred, not copied.
 */
import type { RejectedRow, RowWarning } from '@bulkpipe/core';
import type { EncodeTarget } from '../validate/record-encoder.js';
import type { SerializedError } from './worker-threads.js';

/** Index entries per row in `EncodedChunk.meta`: start, end, id bytes, shape, source. */
export const META_FIELDS = 5;

/** Something a record raised, replayed on the main thread before row `beforeRow` of the chunk is merged. */
export type ChunkEvent =
  /** The parser handed on records: what the merge would have seen in the counters from here on. */
  | { kind: 'counters'; beforeRow: number; read: number; bytesRead: number }
  | { kind: 'header'; beforeRow: number; read: number; bytesRead: number; columns: string[]; source: string }
  | { kind: 'reject'; beforeRow: number; read: number; bytesRead: number; row: RejectedRow }
  | { kind: 'warning'; beforeRow: number; read: number; bytesRead: number; warning: RowWarning };

export interface EncodedChunk {
  type: 'chunk';
  bytes: ArrayBuffer;
  rows: number;
  meta: Int32Array;
  lines: Float64Array;
  /** Pairs of (row index, raw id) for rows whose encoded id differs from the raw one. */
  rawIds: (number | string)[];
  sources: string[];
  /** Shapes interned since the previous chunk, in registry order. */
  newShapes: string[][];
  events: ChunkEvent[];
  /** Counters after the chunk's last record. */
  read: number;
  bytesRead: number;
}

export type WorkerMessage = EncodedChunk | { type: 'done' } | { type: 'error'; error: SerializedError };

/**
 * Main → worker: one chunk consumed (the worker may have MAX_CHUNKS_IN_FLIGHT unconsumed). `buffers`: that
 * chunk's bytes, meta and lines buffers, transferred back; the worker may write a later chunk into them.
 */
export interface CreditMessage {
  type: 'credit';
  buffers?: ArrayBuffer[];
}

/** The encoder's write target in the worker: one growing buffer per chunk. */
export class ChunkBuffer implements EncodeTarget {
  buf: Buffer;
  rowStart = 0;

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafeSlow(bytes);
  }

  ensure(at: number, bytes: number): number {
    if (at + bytes <= this.buf.length) return at;
    // Rare (a row larger than what is left of a chunk): the whole chunk moves to a larger buffer.
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, at + bytes));
    this.buf.copy(next, 0, 0, at);
    this.buf = next;
    return at;
  }
}
