/**
 * What validate decides once per input header (one frozen `columns` array per input): where the id is, and
 * which header becomes which bare attribute name. A header problem is fatal — every row would share it.
 */
import { BulkpipeError, ErrorCode, ID_TYPES, normalizeAttributeName, PROFILE_PREFIX } from '@bulkpipe/core';
import type { IdType, RuleWarning } from '@bulkpipe/core';

export interface HeaderPlan {
  /** The header holding the id. */
  readonly idHeader: string;
  /** Attribute columns, parallel to `names`: the header to read… */
  readonly headers: readonly string[];
  /** …and the bare attribute name it is sent as. */
  readonly names: readonly string[];
  /** A name is `__proto__`: such rows get a prototype-less attributes object, so the name stays a plain key. */
  readonly nullPrototype: boolean;
  /** Said once per header, not per row. */
  readonly warnings: readonly (RuleWarning & { readonly column: string })[];
}

/** How many columns an error message lists before "… and N more" (inputs can have 50,000 columns). */
const LISTED_COLUMNS = 30;

export function compileHeader(columns: readonly string[], idColumn: string, idType: IdType, source: string): HeaderPlan {
  if (!columns.includes(idColumn)) throw idColumnMissing(columns, idColumn, source);
  const headers: string[] = [];
  const names: string[] = [];
  const warnings: (RuleWarning & { column: string })[] = [];
  const headerOfName = new Map<string, string>();
  for (const header of columns) {
    if (header === idColumn) continue;
    const result = normalizeAttributeName(header);
    if (!result.ok) {
      throw new BulkpipeError(ErrorCode.BAD_HEADER, `Column ${JSON.stringify(header)} of ${source} cannot be sent: ${result.message}. Drop or rename it with a mapping`, {
        source,
        column: header,
      });
    }
    const { name } = result;
    if ((ID_TYPES as readonly string[]).includes(name)) {
      throw new BulkpipeError(
        ErrorCode.BAD_HEADER,
        `Column ${JSON.stringify(header)} of ${source} would be sent as attribute "${name}", which is a batch key name (the key here is ${idType} from column ${JSON.stringify(idColumn)}). Drop or rename it with a mapping`,
        { source, column: header },
      );
    }
    const earlier = headerOfName.get(name);
    if (earlier !== undefined) {
      throw new BulkpipeError(
        ErrorCode.BAD_HEADER,
        `Columns ${JSON.stringify(earlier)} and ${JSON.stringify(header)} of ${source} are both sent as attribute "${name}". Drop or rename one with a mapping`,
        { source, column: header },
      );
    }
    headerOfName.set(name, header);
    headers.push(header);
    names.push(name);
    for (const warning of result.warnings) warnings.push({ ...warning, column: header });
  }
  return Object.freeze({ idHeader: idColumn, headers, names, nullPrototype: headerOfName.has('__proto__'), warnings });
}

function idColumnMissing(columns: readonly string[], idColumn: string, source: string): BulkpipeError {
  const near = nearMatches(columns, idColumn);
  const listed = columns.slice(0, LISTED_COLUMNS).map((c) => JSON.stringify(c)).join(', ');
  const more = columns.length > LISTED_COLUMNS ? ` … and ${columns.length - LISTED_COLUMNS} more` : '';
  const hint = near.length > 0 ? ` Did you mean ${near.map((c) => JSON.stringify(c)).join(' or ')}?` : '';
  return new BulkpipeError(
    ErrorCode.ID_COLUMN_MISSING,
    `Id column ${JSON.stringify(idColumn)} is not in the header of ${source}.${hint} Columns: ${listed}${more}`,
    { source, column: idColumn },
  );
}

/** Columns equal to the wanted one up to case, a `profile.` prefix, spaces, `_` and `-`. */
export function nearMatches(columns: readonly string[], wanted: string): string[] {
  const key = looseKey(wanted);
  return columns.filter((column) => looseKey(column) === key);
}

function looseKey(name: string): string {
  let key = name.trim().toLowerCase();
  if (key.startsWith(PROFILE_PREFIX)) key = key.slice(PROFILE_PREFIX.length);
  return key.replace(/[\s_-]+/g, '');
}
