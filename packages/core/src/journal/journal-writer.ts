/**
 * Appends journal records, one JSON line each, and fsyncs after every one: the caller awaits `append()`
 * before it sends a batch and after every answer, so a crash can lose at most the record being written
 * (a torn last line, which the reader ignores and `open()` repairs).
 */
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BulkpipeError, ErrorCode } from '../errors.js';
import { redact } from '../client/redact.js';
import { systemClock } from '../retry/time.js';
import type { Clock } from '../retry/time.js';
import { JOURNAL_VERSION } from './records.js';
import type { JournalEntry, JournalRecord } from './records.js';

export interface JournalWriterOptions {
  /** fsync after every record. Turn off only for tests and benchmarks. @default true */
  fsync?: boolean;
  /** Stamps each record's `at`. @default the system clock */
  clock?: Clock;
  /** Strings that must never be written (the token): replaced by `[redacted]` if a message carries one. @default [] */
  secrets?: readonly string[];
}

export interface JournalOpenReport {
  /** True when the file did not exist. */
  readonly created: boolean;
  /** Bytes of a torn last line (from a crash mid-write) that were cut off before appending; 0 when none. */
  readonly tornBytesRemoved: number;
}

export class JournalWriter {
  readonly path: string;
  readonly opened: JournalOpenReport;
  private readonly handle: FileHandle;
  private readonly fsync: boolean;
  private readonly clock: Clock;
  private readonly secrets: readonly string[];
  /** Appends run one after another, in call order, even when callers do not await each other. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(path: string, handle: FileHandle, opened: JournalOpenReport, options: JournalWriterOptions) {
    this.path = path;
    this.handle = handle;
    this.opened = opened;
    this.fsync = options.fsync ?? true;
    this.clock = options.clock ?? systemClock;
    this.secrets = options.secrets ?? [];
  }

  /** Opens (or creates) a journal for appending, first cutting off a torn last line left by a crash. */
  static async open(path: string, options: JournalWriterOptions = {}): Promise<JournalWriter> {
    let existing: Buffer | undefined;
    try {
      existing = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(path, error);
    }
    let tornBytesRemoved = 0;
    let handle: FileHandle;
    try {
      handle = await open(path, existing === undefined ? 'wx' : 'r+');
      if (existing !== undefined && existing.length > 0 && existing[existing.length - 1] !== 0x0a) {
        const keep = existing.lastIndexOf(0x0a) + 1;
        if (isCompleteRecord(existing.subarray(keep))) {
          // Cut right after the closing brace: the record is whole, only its newline is missing.
          await handle.write('\n', existing.length);
        } else {
          tornBytesRemoved = existing.length - keep;
          await handle.truncate(keep);
        }
        await handle.sync();
      }
      await handle.close();
      handle = await open(path, 'a');
    } catch (error) {
      throw unwritable(path, error);
    }
    // A new file's directory entry must reach the disk too, or a crash could lose the whole journal.
    if (existing === undefined && (options.fsync ?? true)) await syncDirectory(dirname(path));
    return new JournalWriter(path, handle, { created: existing === undefined, tornBytesRemoved }, options);
  }

  /** Stamps, appends and (by default) fsyncs one record; resolves with the record as written. */
  append(entry: JournalEntry): Promise<JournalRecord> {
    const run = this.queue.then(() => this.write(entry));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle.close();
  }

  private async write(entry: JournalEntry): Promise<JournalRecord> {
    if (this.closed) throw new BulkpipeError(ErrorCode.INVALID_OPTION, `The journal ${this.path} is closed`);
    const at = new Date(this.clock.now()).toISOString();
    // `type` and `at` first: the file stays readable with `less`.
    const { type, ...rest } = entry;
    const record = (type === 'run-start' ? { type, at, journalVersion: JOURNAL_VERSION, ...rest } : { type, at, ...rest }) as JournalRecord;
    const line = `${redact(JSON.stringify(record), this.secrets)}\n`;
    try {
      await this.handle.appendFile(line, 'utf8');
      if (this.fsync) await this.handle.sync();
    } catch (error) {
      throw unwritable(this.path, error);
    }
    return record;
  }
}

function isCompleteRecord(tail: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(tail.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms and file systems cannot fsync a directory; the file's own fsync still holds.
  }
}

function unwritable(path: string, error: unknown): BulkpipeError {
  return new BulkpipeError(ErrorCode.JOURNAL_UNWRITABLE, `Cannot write the journal ${path}: ${(error as Error).message}`, { source: path }, { cause: error });
}
