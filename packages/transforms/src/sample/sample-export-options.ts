/**
 * Options of the sample-export generator, resolved once into a frozen normalized form. Rates are
 * per-row probabilities: the generator draws them from its seeded PRNG, so the exact counts vary a little
 * around `rows × rate` and are reported in the stats.
 */
import { invalidOption } from '@bulkpipe/core';

export interface SampleExportOptions {
  /** Data rows to generate (the header row is not counted). Required. */
  rows: number;
  /** PRNG seed: the same options give the same bytes. @default 1 */
  seed?: number;
  /** Share of rows repeating an earlier valid id, with partly changed and partly empty values. @default 0.02 */
  duplicateRate?: number;
  /** Share of rows whose id breaks thirdPartyId rules (empty, `+`, `/`, 300 characters). @default 0.005 */
  invalidRate?: number;
  /**
   * Share of valid-id rows with a comma or a line feed inside a value (CSV-quoted, so the CSV stays legal),
   * in `notes` (mostly) or `company`. bulkpipe rejects such rows by default, so with the defaults a run
   * rejects ~1.5 % of the rows: visible in the demo, well below the 5 % ceiling. @default 0.01
   */
  forbiddenValueRate?: number;
  /** Field delimiter: one of `,` `;` `\t` `|`. @default ',' */
  delimiter?: string;
  /** Record terminator. @default '\n' */
  lineEnding?: '\n' | '\r\n';
  /** Start with a UTF-8 byte order mark, as Excel's "CSV UTF-8" does. @default false */
  bom?: boolean;
}

export interface ResolvedSampleExportOptions {
  readonly rows: number;
  readonly seed: number;
  readonly duplicateRate: number;
  readonly invalidRate: number;
  readonly forbiddenValueRate: number;
  readonly delimiter: string;
  readonly lineEnding: '\n' | '\r\n';
  readonly bom: boolean;
}

/** The delimiters the generator can quote for; none of them occurs in its plain vocabulary. */
export const SAMPLE_DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

/** Ids are numbered in a 10^k space; past 100 million rows the id arithmetic would leave safe integers. */
const MAX_ROWS = 100_000_000;

export function resolveSampleExportOptions(options: SampleExportOptions): ResolvedSampleExportOptions {
  const { rows } = options;
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > MAX_ROWS) throw invalidOption('rows', `an integer from 0 to ${MAX_ROWS}`, rows);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw invalidOption('seed', 'an integer', seed);
  const duplicateRate = rate('duplicateRate', options.duplicateRate, 0.02);
  const invalidRate = rate('invalidRate', options.invalidRate, 0.005);
  const forbiddenValueRate = rate('forbiddenValueRate', options.forbiddenValueRate, 0.01);
  if (duplicateRate + invalidRate > 1) throw invalidOption('duplicateRate', 'a rate that, with invalidRate, sums to at most 1', duplicateRate);
  const delimiter = options.delimiter ?? ',';
  if (!SAMPLE_DELIMITERS.includes(delimiter)) throw invalidOption('delimiter', 'one of "," ";" "\\t" "|"', delimiter);
  const lineEnding = options.lineEnding ?? '\n';
  if (lineEnding !== '\n' && lineEnding !== '\r\n') throw invalidOption('lineEnding', '"\\n" or "\\r\\n"', lineEnding);
  const bom = options.bom ?? false;
  if (typeof bom !== 'boolean') throw invalidOption('bom', 'a boolean', bom);
  return Object.freeze({ rows, seed, duplicateRate, invalidRate, forbiddenValueRate, delimiter, lineEnding, bom });
}

function rate(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !(resolved >= 0 && resolved <= 1)) throw invalidOption(name, 'a rate from 0 to 1', value);
  return resolved;
}
