/**
 * The ingest benchmark's batch: `rows` new thirdPartyIds × 7 attributes, percent-escapes in every row
 * (`%C3%BC`, `%2B`, `%26`), 49.2 MB for 300,000 rows — just under Target's 50 MB cap. The baseline gets the
 * same rows already decoded, so both sides store exactly the same data.
 */

export const ATTRIBUTES = ['loyaltyTier', 'lifetimeValue', 'city', 'segment', 'lastOrder', 'preferences', 'note'] as const;

const FILLER = 'x'.repeat(78);

/** Row `i`'s cells as sent (percent-encoded), id first. */
function encodedCells(i: number): string[] {
  return [
    `c-${String(i).padStart(9, '0')}`,
    i % 3 === 0 ? 'gold' : 'silver',
    (i * 7.31).toFixed(2),
    'M%C3%BCnchen',
    `seg-${i % 97}`,
    `2026-11-${String((i % 28) + 1).padStart(2, '0')}`,
    `pref%2Ba%26b-${i}`,
    `${FILLER}${i}`,
  ];
}

/** The request body: `batch=` then the header and one line per row, LF-separated. */
export function buildBody(rows: number): Buffer {
  const lines = [`batch=thirdPartyId,${ATTRIBUTES.join(',')}`];
  for (let i = 0; i < rows; i++) lines.push(encodedCells(i).join(','));
  return Buffer.from(lines.join('\n'));
}

/** Row `i` decoded: the id and its attribute values, as the emulator stores them. */
export function decodedRow(i: number): { id: string; values: string[] } {
  const [id, ...values] = encodedCells(i).map((cell) => decodeURIComponent(cell));
  return { id: id!, values };
}
