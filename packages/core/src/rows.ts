/** The shapes that flow between the stages. */

/** Where a row came from: the input's label and the 1-based line on which its record starts. */
export interface RowOrigin {
  readonly source: string;
  readonly line: number;
}

/** One parsed record of an input, keyed by header name, as read (or as a mapping rewrote it). */
export interface InputRecord {
  readonly source: string;
  readonly line: number;
  /** Header name → cell text. A cell missing from a short row is absent, not ''. */
  readonly fields: Record<string, string>;
  /**
   * The input's header, in file order. Every record of one input shares the **same frozen array**, so a
   * downstream stage can check a header once per distinct array (by identity) instead of once per row.
   */
  readonly columns: readonly string[];
}

/** One visitor's profile update: a validated id and its bare attribute names and values. */
export interface ProfileRow {
  readonly id: string;
  /** Bare attribute name (no `profile.` prefix) → value; '' means "no value" (Target ignores empties). */
  readonly attributes: Record<string, string>;
  /** Every input line folded into this row, in input order. */
  readonly origins: readonly RowOrigin[];
}

/** A row that will not be sent, and why. */
export interface RejectedRow {
  readonly source: string;
  readonly line: number;
  readonly id?: string;
  readonly code: string;
  readonly message: string;
  /** The row's original fields, for the rejects file. */
  readonly fields?: Record<string, string>;
}

/** Something worth telling the user about a row that is still sent. */
export interface RowWarning {
  readonly source: string;
  readonly line: number;
  readonly id?: string;
  readonly code: string;
  readonly message: string;
}

export const WarningCode = {
  ID_WHITESPACE: 'ID_WHITESPACE',
  PC_ID_SHAPE: 'PC_ID_SHAPE',
  ATTRIBUTE_PREFIX_STRIPPED: 'ATTRIBUTE_PREFIX_STRIPPED',
  ATTRIBUTE_NAME_WHITESPACE: 'ATTRIBUTE_NAME_WHITESPACE',
  VALUE_LONG: 'VALUE_LONG',
  VALUE_CHARS_REPLACED: 'VALUE_CHARS_REPLACED',
  VALUE_DROPPED: 'VALUE_DROPPED',
} as const;
export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];
