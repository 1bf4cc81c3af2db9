/**
 * The run journal's records: one JSON object per line, one line per state change, appended and fsynced
 * (docs/reliability.md). A resumed run appends to the same file after a new `run-start`.
 */
import type { BatchState, BatchStatusCounts } from '../client/responses.js';
import type { RowOrigin } from '../rows.js';

/** Written into every `run-start`; a reader refuses journals from a newer format. */
export const JOURNAL_VERSION = 1;

/**
 * Identifies an input cheaply: size, mtime and a SHA-256 of the first `headBytes` bytes. That alone would
 * miss an edit past the first MiB of the same size; resume also compares every recomputed batch's SHA-256
 * with the journal's, which catches any change that reaches a batch.
 */
export interface InputFingerprint {
  /** The input's label as given (a path). */
  readonly source: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Hex SHA-256 of the first `headBytes` bytes. */
  readonly headSha256: string;
  readonly headBytes: number;
}

export interface RunStartRecord {
  readonly type: 'run-start';
  readonly at: string;
  readonly journalVersion: number;
  /** A fresh id per process run (a resumed run gets a new one). */
  readonly runId: string;
  /** `configurationHash()` of everything that shapes the batches, secrets excluded. */
  readonly configHash: string;
  readonly inputs: readonly InputFingerprint[];
  /** True when this run continues an earlier one in the same journal. */
  readonly resumed?: boolean;
  /** Where the run sends (no secrets), so `bulkpipe status` and `verify` need only the journal. */
  readonly target?: RunTarget;
}

export interface RunTarget {
  readonly client: string;
  readonly apiVersion: 'v1' | 'v2';
  /** The endpoint, when not Target's default for the client. */
  readonly baseUrl?: string;
  readonly idType: 'thirdPartyId' | 'pcId';
}

export interface BatchBuiltRecord {
  readonly type: 'batch-built';
  readonly at: string;
  /** 1-based, in batch order. */
  readonly seq: number;
  /** Hex SHA-256 of the exact body that is (or would be) sent. */
  readonly sha256: string;
  readonly rows: number;
  readonly bytes: number;
  /** Where the batch's first and last rows came from. */
  readonly firstLine: RowOrigin;
  readonly lastLine: RowOrigin;
  /** A few rows as sent, for `bulkpipe verify` (values hashed: the journal holds no attribute values). */
  readonly sample?: readonly SentRowSample[];
}

/** One sent row, recorded so that a later verification can fetch the profile and compare. */
export interface SentRowSample {
  /** The profile id as sent. */
  readonly id: string;
  /** The batch's key column. */
  readonly idType: 'thirdPartyId' | 'pcId';
  /** Attribute name → `sha256:` + the first 16 hex digits of the SHA-256 of the non-empty value sent. */
  readonly values: Readonly<Record<string, string>>;
}

/** Written (and fsynced) right before each POST: a crash after it leaves the batch "in doubt". */
export interface SubmittingRecord {
  readonly type: 'submitting';
  readonly at: string;
  readonly seq: number;
  /** 1-based attempt of this submission. */
  readonly attempt: number;
}

export interface SubmittedRecord {
  readonly type: 'submitted';
  readonly at: string;
  readonly seq: number;
  /** Verbatim, as Target returned them. */
  readonly batchId?: string;
  readonly statusUrl: string;
}

export interface SubmitFailedRecord {
  readonly type: 'submit-failed';
  readonly at: string;
  readonly seq: number;
  /** A BulkpipeError code. */
  readonly code: string;
  readonly message: string;
  readonly statusCode?: number;
}

export interface StatusRecord {
  readonly type: 'status';
  readonly at: string;
  readonly seq: number;
  readonly status: BatchState;
  readonly counts: BatchStatusCounts;
  readonly failedIds: readonly string[];
}

export type RunOutcome = 'complete' | 'failed' | 'aborted' | 'submitted';

export interface RunEndRecord {
  readonly type: 'run-end';
  readonly at: string;
  /** `submitted`: everything accepted, statuses not awaited (`--no-wait`). */
  readonly outcome: RunOutcome;
  readonly message?: string;
  /** Final counters (rows read, rejected, merged, sent, batches…). */
  readonly counters?: Readonly<Record<string, number>>;
}

export type JournalRecord = RunStartRecord | BatchBuiltRecord | SubmittingRecord | SubmittedRecord | SubmitFailedRecord | StatusRecord | RunEndRecord;
export type JournalRecordType = JournalRecord['type'];

/** A record as handed to the writer, which stamps `at` (and `journalVersion` on run-start). */
export type JournalEntry = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'at' | 'journalVersion'> : never) : never;

export const JOURNAL_RECORD_TYPES: ReadonlySet<JournalRecordType> = new Set(['run-start', 'batch-built', 'submitting', 'submitted', 'submit-failed', 'status', 'run-end']);
