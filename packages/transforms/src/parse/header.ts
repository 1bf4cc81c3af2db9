/** The header row: names every column; problems with it are fatal for the input. */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';

/**
 * Checks the header cells and returns them as the frozen `columns` array every record of the input shares.
 * Empty and duplicate names are BAD_HEADER (with 1-based column positions): a record keyed by header name
 * cannot hold two columns of one name, and a nameless column cannot be mapped or sent.
 */
export function checkHeader(cells: readonly string[], source: string, line: number, delimiter: string): readonly string[] {
  const problems: string[] = [];
  const empty: number[] = [];
  cells.forEach((name, index) => {
    if (name === '') empty.push(index + 1);
  });
  if (empty.length === cells.length && cells.length > 1) {
    problems.push(`every header cell is empty`);
  } else if (empty.length > 0) {
    const trailing = cells.length > 1 && empty.length === 1 && empty[0] === cells.length;
    problems.push(
      `empty column name at position${empty.length > 1 ? 's' : ''} ${list(empty)}` +
        (trailing ? ` (a trailing ${describeDelimiter(delimiter)} at the end of the header line?)` : ''),
    );
  }
  const positions = new Map<string, number[]>();
  cells.forEach((name, index) => {
    if (name === '') return;
    const seen = positions.get(name);
    if (seen) seen.push(index + 1);
    else positions.set(name, [index + 1]);
  });
  for (const [name, at] of positions) {
    if (at.length > 1) problems.push(`column ${JSON.stringify(name)} appears at positions ${list(at)}`);
  }
  if (cells.some((name) => name.includes('\0'))) {
    problems.push('it contains NUL characters (a UTF-16 file without a byte order mark? convert it with `iconv -f UTF-16 -t UTF-8`)');
  }
  if (problems.length > 0) {
    throw new BulkpipeError(
      ErrorCode.BAD_HEADER,
      `The header row is not usable: ${problems.join('; ')}. Every column needs a distinct, non-empty name.`,
      { source, line },
    );
  }
  return Object.freeze([...cells]);
}

function list(positions: readonly number[]): string {
  const shown = positions.slice(0, 10).join(', ');
  return positions.length > 10 ? `${shown}, … (${positions.length} in all)` : shown;
}

export function describeDelimiter(delimiter: string): string {
  if (delimiter === '\t') return 'tab';
  if (delimiter === ',') return 'comma';
  if (delimiter === ';') return 'semicolon';
  return `"${delimiter}"`;
}
