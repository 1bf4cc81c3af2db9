/**
 * Delimiter sniffing from the header line. Headers are short and rarely quoted, so a simple quote-parity
 * scan is enough here (the scanner proper does the full dialect).
 */

/** The delimiters sniffing chooses from, in tie-break order. */
export const SNIFFED_DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

/**
 * End (exclusive, before its line ending) of the first non-blank line of `text`, outside quotes, and where it
 * starts; undefined when that line is not complete yet.
 */
export function firstLine(text: string): { start: number; end: number } | undefined {
  let start = 0;
  while (start < text.length && (text[start] === '\n' || text[start] === '\r')) start++;
  let inQuotes = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) return { start, end: i };
  }
  return undefined;
}

/** The candidate occurring most often outside quotes in `line`; `,` on a tie or when none occurs. */
export function sniffDelimiter(line: string): string {
  const counts = new Map<string, number>(SNIFFED_DELIMITERS.map((d) => [d, 0]));
  let inQuotes = false;
  for (const c of line) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && counts.has(c)) counts.set(c, (counts.get(c) as number) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [delimiter, count] of counts) {
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}
