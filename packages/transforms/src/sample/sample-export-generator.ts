/**
 * The pure core of the sample-export generator: text chunks of a realistic CRM export, no stream API.
 * Every choice comes from a seeded PRNG, so the same options give the same bytes; a profile's base values
 * come from a PRNG seeded by its id, so a duplicate row can repeat (and partly change) them without the
 * generator keeping any per-id state but one byte.
 */
import { ATTRIBUTE_VALUE_WARN_LENGTH, MAX_THIRD_PARTY_ID_LENGTH } from '@bulkpipe/core';
import { mixSeed, Prng } from './prng.js';
import { resolveSampleExportOptions } from './sample-export-options.js';
import type { ResolvedSampleExportOptions, SampleExportOptions } from './sample-export-options.js';
import {
  CALLING_CODES, CATEGORIES, CITIES, COMPANIES, COMPANIES_WITH_COMMA, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LOYALTY_TIERS, NOTES,
  NOTES_WITH_FORBIDDEN,
} from './sample-vocabulary.js';

/** Bump when the bytes a given set of options produces change, so caches of generated files (bench/data) renew. */
export const SAMPLE_EXPORT_VERSION = 1;

/** The header of every sample export, in order. `customer_id` is the id column (a thirdPartyId). */
export const SAMPLE_COLUMNS = [
  'customer_id', 'created_at', 'email', 'phone', 'first_name', 'last_name', 'company', 'city', 'country', 'loyalty_tier',
  'lifetime_value', 'last_order_date', 'marketing_opt_in', 'favorite_category', 'notes',
] as const;

export interface SampleExportStats {
  /** Data rows written (header excluded). */
  rows: number;
  /** Bytes of the whole file: BOM, header and rows. */
  bytes: number;
  /** Distinct valid ids, i.e. customers. rows = distinctIds + duplicateRows + invalidIdRows. */
  distinctIds: number;
  /** Rows repeating an earlier valid id. */
  duplicateRows: number;
  /** Rows whose id breaks thirdPartyId rules, by kind. */
  invalidIds: { empty: number; plus: number; slash: number; tooLong: number };
  invalidIdRows: number;
  /** Valid-id rows with a comma or LF inside one value, by column (at most one such value per row). */
  forbiddenValueRows: { notes: number; company: number };
  /** Rows with a value longer than Target's 256-character page limit (a warning, not a reject). */
  longValueRows: number;
  /**
   * What `bulkpipe split --id-column customer_id` with default settings (every column kept, commas and LF in
   * values rejected, merge by id) should report: rejected = invalid ids + forbidden values; of the remaining
   * rows, the first accepted one of each id is sent and the others are merged into it.
   */
  expectedDefaultOutcome: { rejected: number; merged: number; sent: number };
}

const ROWS_PER_CHUNK = 2048;
const EMPTY_RATE = 0.04;
const COMPANY_RATE = 0.3;
const NOTES_RATE = 0.55;
const PHONE_RATE = 0.75;
const LONG_NOTE_RATE = 0.001;
/** A duplicate row leaves this share of its cells empty and changes about as many: merging has work to do. */
const DUPLICATE_EMPTY_RATE = 0.35;
const DUPLICATE_CHANGED_RATE = 0.2;
const FIRST_DAY_MS = Date.UTC(2019, 0, 1);
const DAYS = 7 * 365;
const ID_MULTIPLIER = 4_194_301; // odd and not a multiple of 5: a bijection modulo 10^k, so ids look unordered
const ID_OFFSET = 1_234_567;
const LONG_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Column positions in the attribute cells (customer_id excluded). */
const CREATED = 0, EMAIL = 1, PHONE = 2, FIRST = 3, LAST = 4, COMPANY = 5, CITY = 6, COUNTRY = 7, TIER = 8, LTV = 9, DATE = 10;
const OPT_IN = 11, CATEGORY = 12, NOTE = 13;
const ATTRIBUTE_COUNT = SAMPLE_COLUMNS.length - 1;

interface QuotedVocabulary {
  firstNames: string[];
  lastNames: string[];
  cities: string[];
  countries: string[];
  callingCodes: string[];
  tiers: string[];
  categories: string[];
  companies: string[];
  companiesWithComma: string[];
  notes: string[];
  notesWithForbidden: string[];
  dates: string[];
}

export class SampleExportGenerator {
  readonly options: ResolvedSampleExportOptions;
  private readonly rng: Prng;
  private readonly idRng = new Prng(0);
  private readonly baseSeed: number;
  private readonly vocabulary: QuotedVocabulary;
  private readonly idModulus: number;
  private readonly idWidth: number;
  /** One byte per new id: 1 once a clean row of it was written (so later ones merge into it). */
  private readonly accepted: Uint8Array;
  private readonly cells: string[] = new Array<string>(ATTRIBUTE_COUNT).fill('');
  private readonly altCells: string[] = new Array<string>(ATTRIBUTE_COUNT).fill('');
  private written = 0;
  private started = false;
  private readonly counts: SampleExportStats;

  constructor(options: SampleExportOptions) {
    this.options = resolveSampleExportOptions(options);
    this.baseSeed = mixSeed(this.options.seed, Math.floor(this.options.seed / 4294967296));
    this.rng = new Prng(this.baseSeed);
    this.vocabulary = quoteVocabulary(this.options.delimiter);
    this.idWidth = Math.max(7, String(this.options.rows).length);
    this.idModulus = 10 ** this.idWidth;
    this.accepted = new Uint8Array(this.options.rows);
    this.counts = {
      rows: 0, bytes: 0, distinctIds: 0, duplicateRows: 0,
      invalidIds: { empty: 0, plus: 0, slash: 0, tooLong: 0 }, invalidIdRows: 0,
      forbiddenValueRows: { notes: 0, company: 0 }, longValueRows: 0,
      expectedDefaultOutcome: { rejected: 0, merged: 0, sent: 0 },
    };
  }

  /** True once every row was handed out. */
  get done(): boolean {
    return this.started && this.written === this.options.rows;
  }

  /**
   * The next piece of the file (BOM and header first), about 2,000 rows, or null at the end.
   * Chunking never changes the bytes: only the order of PRNG draws does, and that is per row.
   */
  nextChunk(): string | null {
    if (this.done) return null;
    const { delimiter, lineEnding, rows } = this.options;
    let text = '';
    if (!this.started) {
      this.started = true;
      text = (this.options.bom ? '\uFEFF' : '') + SAMPLE_COLUMNS.join(delimiter) + lineEnding;
    }
    const end = Math.min(rows, this.written + ROWS_PER_CHUNK);
    for (; this.written < end; this.written++) text += this.nextRow(delimiter) + lineEnding;
    this.counts.rows = this.written;
    this.counts.bytes += Buffer.byteLength(text, 'utf8');
    return text;
  }

  /** Counts so far; final once `done`. A copy: later chunks do not change it. */
  stats(): SampleExportStats {
    return structuredClone(this.counts);
  }

  private nextRow(d: string): string {
    const { rng, counts, cells } = this;
    const draw = rng.next();
    let id: string;
    let planted = false;
    if (draw < this.options.invalidRate) {
      id = this.invalidId();
      counts.expectedDefaultOutcome.rejected++;
      this.drawAttributes(rng, cells);
    } else if (draw < this.options.invalidRate + this.options.duplicateRate && counts.distinctIds > 0) {
      counts.duplicateRows++;
      const index = rng.int(counts.distinctIds);
      id = this.idOf(index);
      this.drawDuplicate(index);
      planted = this.plantForbidden();
      if (!planted) this.accept(index);
    } else {
      const index = counts.distinctIds++;
      id = this.idOf(index);
      this.idRng.reseed(mixSeed(this.baseSeed, index));
      this.drawAttributes(this.idRng, cells);
      planted = this.plantForbidden();
      if (!planted) this.accept(index);
    }
    // Long notes only where no comma or LF was planted: a long note replaces the notes cell.
    if (rng.next() < LONG_NOTE_RATE && !planted) {
      cells[NOTE] = this.longNote(d);
      counts.longValueRows++;
    }
    let line = id;
    for (let i = 0; i < ATTRIBUTE_COUNT; i++) line += d + cells[i];
    return line;
  }

  /** Books a clean valid-id row in the expected outcome: sent if its id is new to the run, else merged. */
  private accept(index: number): void {
    const outcome = this.counts.expectedDefaultOutcome;
    if (this.accepted[index] === 1) outcome.merged++;
    else {
      this.accepted[index] = 1;
      outcome.sent++;
    }
  }

  /** `c-0001234`, but unordered: exports are rarely sorted by id, and the merge must not rely on it. */
  private idOf(index: number): string {
    const number = (index * ID_MULTIPLIER + ID_OFFSET) % this.idModulus;
    return 'c-' + String(number).padStart(this.idWidth, '0');
  }

  private invalidId(): string {
    const { rng, counts } = this;
    counts.invalidIdRows++;
    const kind = rng.next();
    const base = 'c-' + String(rng.int(this.idModulus)).padStart(this.idWidth, '0');
    if (kind < 0.4) {
      counts.invalidIds.empty++;
      return '';
    }
    if (kind < 0.6) {
      counts.invalidIds.plus++;
      return base + '+eu';
    }
    if (kind < 0.8) {
      counts.invalidIds.slash++;
      return base + '/2';
    }
    counts.invalidIds.tooLong++;
    let id = base;
    while (id.length < MAX_THIRD_PARTY_ID_LENGTH + 44) id += LONG_ID_ALPHABET[rng.int(LONG_ID_ALPHABET.length)];
    return id;
  }

  /** Maybe puts a comma or LF into notes or company; returns true when it did (the row will be rejected). */
  private plantForbidden(): boolean {
    const { rng, counts, cells, vocabulary } = this;
    if (rng.next() >= this.options.forbiddenValueRate) return false;
    counts.expectedDefaultOutcome.rejected++;
    if (rng.next() < 0.8) {
      cells[NOTE] = rng.pick(vocabulary.notesWithForbidden);
      counts.forbiddenValueRows.notes++;
    } else {
      cells[COMPANY] = rng.pick(vocabulary.companiesWithComma);
      counts.forbiddenValueRows.company++;
    }
    return true;
  }

  /** The id's base values, then per cell: kept, emptied, or replaced by a fresh value. */
  private drawDuplicate(index: number): void {
    const { rng, cells, altCells } = this;
    this.idRng.reseed(mixSeed(this.baseSeed, index));
    this.drawAttributes(this.idRng, cells);
    this.drawAttributes(rng, altCells);
    for (let i = 0; i < ATTRIBUTE_COUNT; i++) {
      const draw = rng.next();
      if (draw < DUPLICATE_EMPTY_RATE) cells[i] = '';
      else if (draw < DUPLICATE_EMPTY_RATE + DUPLICATE_CHANGED_RATE) cells[i] = altCells[i] as string;
    }
  }

  /** One profile's attribute cells, already quoted for the delimiter. */
  private drawAttributes(rng: Prng, out: string[]): void {
    const v = this.vocabulary;
    const firstIndex = rng.int(FIRST_NAMES.length);
    const lastIndex = rng.int(LAST_NAMES.length);
    const cityIndex = rng.int(CITIES.length);
    out[CREATED] = `${rng.pick(v.dates)}T${pad2(rng.int(24))}:${pad2(rng.int(60))}:${pad2(rng.int(60))}Z`;
    out[EMAIL] = email(rng, firstIndex, lastIndex);
    // `+` in a value: sent as %2B, or Target would read a space.
    out[PHONE] = rng.next() < PHONE_RATE ? `+${v.callingCodes[cityIndex]} ${100 + rng.int(900)} ${String(rng.int(10_000_000)).padStart(7, '0')}` : '';
    out[FIRST] = v.firstNames[firstIndex] as string;
    out[LAST] = v.lastNames[lastIndex] as string;
    out[COMPANY] = rng.next() < COMPANY_RATE ? rng.pick(v.companies) : '';
    out[CITY] = v.cities[cityIndex] as string;
    out[COUNTRY] = v.countries[cityIndex] as string;
    out[TIER] = rng.pick(v.tiers);
    out[LTV] = (rng.int(2_000_000) / 100).toFixed(2);
    out[DATE] = rng.pick(v.dates);
    out[OPT_IN] = rng.next() < 0.6 ? 'true' : 'false';
    out[CATEGORY] = rng.pick(v.categories);
    out[NOTE] = rng.next() < NOTES_RATE ? rng.pick(v.notes) : '';
    // Real exports have holes: any cell but the timestamp and the e-mail may be missing.
    for (let i = PHONE; i < ATTRIBUTE_COUNT; i++) if (rng.next() < EMPTY_RATE) out[i] = '';
  }

  private longNote(d: string): string {
    let note = '';
    while (note.length <= ATTRIBUTE_VALUE_WARN_LENGTH + 20) note += (note === '' ? '' : ' / ') + this.rng.pick(NOTES);
    return quoteField(note, d);
  }
}

function email(rng: Prng, firstIndex: number, lastIndex: number): string {
  const first = (FIRST_NAMES[firstIndex] as readonly [string, string])[1];
  const last = (LAST_NAMES[lastIndex] as readonly [string, string])[1];
  const style = rng.next();
  const digits = rng.next() < 0.5 ? String(rng.int(1000)) : '';
  const domain = rng.pick(EMAIL_DOMAINS);
  // Mixed case and `+tags` are what the map stage's lower-case and trim transforms exist for.
  if (style < 0.08) return `${cap(first)}.${cap(last)}${digits}@${cap(domain)}`;
  if (style < 0.13) return `${first}.${last}+shop@${domain}`;
  if (style < 0.14) return ` ${first}${last}${digits}@${domain} `;
  if (style < 0.5) return `${first[0] ?? ''}${last}${digits}@${domain}`;
  return `${first}.${last}${digits}@${domain}`;
}

function pad2(value: number): string {
  return value < 10 ? '0' + value : String(value);
}

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** RFC 4180 quoting: only when the field holds the delimiter, a quote, CR or LF; quotes are doubled. */
export function quoteField(value: string, delimiter: string): string {
  if (!value.includes(delimiter) && !/["\r\n]/.test(value)) return value;
  return '"' + value.replaceAll('"', '""') + '"';
}

function quoteVocabulary(d: string): QuotedVocabulary {
  const quote = (list: readonly string[]): string[] => list.map((value) => quoteField(value, d));
  const dates: string[] = [];
  for (let day = 0; day < DAYS; day++) dates.push(new Date(FIRST_DAY_MS + day * 86_400_000).toISOString().slice(0, 10));
  return {
    firstNames: quote(FIRST_NAMES.map(([display]) => display)),
    lastNames: quote(LAST_NAMES.map(([display]) => display)),
    cities: quote(CITIES.map(([city]) => city)),
    countries: quote(CITIES.map(([, country]) => country)),
    callingCodes: CITIES.map(([, country]) => CALLING_CODES[country] ?? '1'),
    tiers: quote(LOYALTY_TIERS),
    categories: quote(CATEGORIES),
    companies: quote(COMPANIES),
    companiesWithComma: quote(COMPANIES_WITH_COMMA),
    notes: quote(NOTES),
    notesWithForbidden: quote(NOTES_WITH_FORBIDDEN),
    dates,
  };
}
