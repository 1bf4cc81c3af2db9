/**
 * The one error family of bulkpipe. Callers match on `err.code`, never on the message text.
 * Codes are stable: add new ones, never rename or reuse one.
 */
export const ErrorCode = {
  // configuration and usage: stop the run before anything is read or sent
  INVALID_OPTION: 'BULKPIPE_INVALID_OPTION',
  INVALID_MAPPING: 'BULKPIPE_INVALID_MAPPING',
  INPUT_UNREADABLE: 'BULKPIPE_INPUT_UNREADABLE',
  /** An output (batch files, manifest, rejects.csv) cannot be created or written. */
  OUTPUT_UNWRITABLE: 'BULKPIPE_OUTPUT_UNWRITABLE',

  // whole-input problems: fatal for the input
  INVALID_UTF8: 'BULKPIPE_INVALID_UTF8',
  RECORD_TOO_LARGE: 'BULKPIPE_RECORD_TOO_LARGE',
  UNCLOSED_QUOTE: 'BULKPIPE_UNCLOSED_QUOTE',
  GZIP_CORRUPT: 'BULKPIPE_GZIP_CORRUPT',
  EMPTY_INPUT: 'BULKPIPE_EMPTY_INPUT',
  BAD_HEADER: 'BULKPIPE_BAD_HEADER',
  ID_COLUMN_MISSING: 'BULKPIPE_ID_COLUMN_MISSING',

  // row-level rejects: the row goes to rejects.csv, the run goes on
  ROW_MALFORMED: 'BULKPIPE_ROW_MALFORMED',
  /** A NUL character in a record: binary data or a UTF-16 file without a BOM, never a real CRM value. */
  ROW_NUL_BYTE: 'BULKPIPE_ROW_NUL_BYTE',
  ID_EMPTY: 'BULKPIPE_ID_EMPTY',
  ID_TOO_LONG: 'BULKPIPE_ID_TOO_LONG',
  ID_FORBIDDEN_CHAR: 'BULKPIPE_ID_FORBIDDEN_CHAR',
  ID_ECID: 'BULKPIPE_ID_ECID',
  ATTRIBUTE_NAME_INVALID: 'BULKPIPE_ATTRIBUTE_NAME_INVALID',
  VALUE_FORBIDDEN_CHAR: 'BULKPIPE_VALUE_FORBIDDEN_CHAR',
  VALUE_UNENCODABLE: 'BULKPIPE_VALUE_UNENCODABLE',
  ROW_TOO_LARGE: 'BULKPIPE_ROW_TOO_LARGE',
  PROFILE_TOO_LARGE: 'BULKPIPE_PROFILE_TOO_LARGE',
  DUPLICATE_CONFLICT: 'BULKPIPE_DUPLICATE_CONFLICT',

  // run-level stops
  REJECT_RATE_EXCEEDED: 'BULKPIPE_REJECT_RATE_EXCEEDED',
  BOOKS_UNBALANCED: 'BULKPIPE_BOOKS_UNBALANCED',
  MEMORY_BUDGET_EXCEEDED: 'BULKPIPE_MEMORY_BUDGET_EXCEEDED',
  /** The merge's temporary files cannot be written (temp directory full or unwritable); names the directory. */
  SPILL_FAILED: 'BULKPIPE_SPILL_FAILED',
  /** `--presorted`: an id reappears after rows of other ids (the input is not grouped by id); names both lines. */
  INPUT_NOT_GROUPED: 'BULKPIPE_INPUT_NOT_GROUPED',
  ABORTED: 'BULKPIPE_ABORTED',

  // talking to Target (client, retry policy)
  TARGET_NETWORK: 'BULKPIPE_TARGET_NETWORK',
  TARGET_HTTP_STATUS: 'BULKPIPE_TARGET_HTTP_STATUS',
  TARGET_AUTH: 'BULKPIPE_TARGET_AUTH',
  TARGET_REJECTED: 'BULKPIPE_TARGET_REJECTED',
  TARGET_BAD_RESPONSE: 'BULKPIPE_TARGET_BAD_RESPONSE',
  RETRIES_EXHAUSTED: 'BULKPIPE_RETRIES_EXHAUSTED',

  // the run journal
  JOURNAL_CORRUPT: 'BULKPIPE_JOURNAL_CORRUPT',
  RESUME_MISMATCH: 'BULKPIPE_RESUME_MISMATCH',
  JOURNAL_UNWRITABLE: 'BULKPIPE_JOURNAL_UNWRITABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where in the run an error happened; every field optional, set what is known. */
export interface ErrorContext {
  /** The input's label (file path, `-` for stdin). */
  source?: string;
  /** 1-based line of the input where the record starts. */
  line?: number;
  /** Profile id (thirdPartyId or pcId) of the row. */
  id?: string;
  /** Column (header name) the problem is in. */
  column?: string;
  /** 1-based sequence number of the batch. */
  batchSeq?: number;
  /** HTTP status of a response, when one was received. */
  statusCode?: number;
  /** 1-based attempt number of a request. */
  attempt?: number;
  /** The name of the option that was invalid. */
  option?: string;
}

export class BulkpipeError extends Error {
  override name = 'BulkpipeError';
  readonly code: ErrorCode;
  readonly context: Readonly<ErrorContext>;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = Object.freeze({ ...context });
  }

  /** A one-line description with the location, for logs and error output. */
  describe(): string {
    const where = [
      this.context.source !== undefined ? this.context.source : undefined,
      this.context.line !== undefined ? `line ${this.context.line}` : undefined,
      this.context.batchSeq !== undefined ? `batch ${this.context.batchSeq}` : undefined,
    ].filter((part) => part !== undefined);
    return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${this.message} [${this.code}]`;
  }
}

export function isBulkpipeError(value: unknown, code?: ErrorCode): value is BulkpipeError {
  return value instanceof BulkpipeError && (code === undefined || value.code === code);
}

/** Coded error for a bad option value; shows the option name and the value it got. */
export function invalidOption(option: string, expected: string, got: unknown): BulkpipeError {
  return new BulkpipeError(ErrorCode.INVALID_OPTION, `Invalid option ${option}: expected ${expected}, got ${JSON.stringify(got)}`, { option });
}
