/**
 * A row's encoded pieces and their byte lengths, computed once: the batcher places the row by arithmetic,
 * re-trying it in a new batch costs no re-encoding. Encoded text is ASCII, so string length = byte length.
 */
import { ErrorCode, MAX_PROFILE_EXTERNAL_BYTES, percentEncode } from '@bulkpipe/core';
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';

export interface EncodedRow {
  readonly id: string;
  readonly origins: readonly RowOrigin[];
  readonly encodedId: string;
  /** Raw attribute names of the non-empty values, in the row's order. */
  readonly names: readonly string[];
  /** Parallel to `names`. */
  readonly encodedNames: readonly string[];
  /** Parallel to `names`; never ''. */
  readonly encodedValues: readonly string[];
  /** Sum of `encodedValues` lengths. */
  readonly valueBytes: number;
  /** Body bytes of a batch holding only this row: header (with LF) + line (with LF). */
  readonly soloBytes: number;
}

export interface EncodeRefusal {
  readonly code:
    | typeof ErrorCode.PROFILE_TOO_LARGE
    | typeof ErrorCode.VALUE_UNENCODABLE
    | typeof ErrorCode.VALUE_FORBIDDEN_CHAR
    | typeof ErrorCode.ID_FORBIDDEN_CHAR;
  readonly message: string;
}

/**
 * Target form-decodes the whole body before splitting on LF and `,` (TARGET-API.md §2), so an encoded comma or
 * line break would still split a value. Validate applies the user's policy for these; the batcher is the last
 * line of defence for rows that did not come through it.
 */
const ENCODED_DELIMITER = /%2C|%0A|%0D/;

/**
 * Names repeat on every row: their encodings are cached for the run (bounded by the distinct names, which the
 * batch headers hold anyway).
 */
export class RowEncoder {
  private readonly nameCache = new Map<string, string>();
  /** `batch=` + key header + LF. */
  private readonly baseBytes: number;

  constructor(idType: string) {
    this.baseBytes = 'batch='.length + idType.length + 1;
  }

  encode(row: ProfileRow): EncodedRow | EncodeRefusal {
    const attributes = row.attributes;
    const names: string[] = [];
    const encodedNames: string[] = [];
    const encodedValues: string[] = [];
    let valueBytes = 0;
    let nameBytes = 0;
    let encodedId: string;
    try {
      encodedId = percentEncode(row.id);
      if (holdsDelimiter(row.id, encodedId)) return forbidden(row.id, undefined);
      for (const name of Object.keys(attributes)) {
        const value = attributes[name]!;
        if (value === '') continue; // no value: Target ignores empty cells, so they take no column
        let encodedName = this.nameCache.get(name);
        if (encodedName === undefined) {
          encodedName = percentEncode(name);
          this.nameCache.set(name, encodedName);
        }
        const encodedValue = percentEncode(value);
        if (holdsDelimiter(value, encodedValue) || holdsDelimiter(name, encodedName)) return forbidden(row.id, name);
        names.push(name);
        encodedNames.push(encodedName);
        encodedValues.push(encodedValue);
        valueBytes += encodedValue.length;
        nameBytes += encodedName.length;
      }
    } catch (error) {
      if (!(error instanceof URIError)) throw error;
      return {
        code: ErrorCode.VALUE_UNENCODABLE,
        message: `id ${JSON.stringify(row.id)} holds text that is not valid Unicode (a lone surrogate) and cannot be encoded as UTF-8`,
      };
    }
    const profileBytes = nameBytes + valueBytes;
    if (profileBytes > MAX_PROFILE_EXTERNAL_BYTES) {
      return {
        code: ErrorCode.PROFILE_TOO_LARGE,
        message:
          `id ${JSON.stringify(row.id)} has ${profileBytes} bytes of encoded attributes, above Target's ${MAX_PROFILE_EXTERNAL_BYTES}-byte ` +
          `limit of external profile data per visitor; drop or shorten columns in the mapping`,
      };
    }
    const n = names.length;
    // Alone in a batch the row's columns are 0..n-1: header `,name` each; line id + `,value` each.
    const soloBytes = this.baseBytes + n + nameBytes + encodedId.length + n + valueBytes + 1;
    return { id: row.id, origins: row.origins, encodedId, names, encodedNames, encodedValues, valueBytes, soloBytes };
  }
}

/** Encoding only lengthens text that holds reserved characters: plain text skips the scan. */
function holdsDelimiter(raw: string, encoded: string): boolean {
  return encoded.length !== raw.length && ENCODED_DELIMITER.test(encoded);
}

function forbidden(id: string, name: string | undefined): EncodeRefusal {
  return {
    code: name === undefined ? ErrorCode.ID_FORBIDDEN_CHAR : ErrorCode.VALUE_FORBIDDEN_CHAR,
    message:
      `id ${JSON.stringify(id)}: ${name === undefined ? 'the id' : `attribute ${JSON.stringify(name)}`} holds a comma, CR or LF, ` +
      `which Target would read as a cell or row boundary even when encoded; choose a policy for them in validate`,
  };
}

export function isRefusal(result: EncodedRow | EncodeRefusal): result is EncodeRefusal {
  return 'code' in result;
}
