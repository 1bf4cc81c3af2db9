/**
 * Where the in-memory merge holds one row per id until the end of input, compactly.
 *
 * Most ids occur once, so the common row is stored packed: its values joined into one string, its attribute
 * names as a shared "shape" (rows of one export mostly have the same names), its single origin as two small
 * integers. Ids seen twice or more (a few percent) become a MergedRow object. Measured on the reference
 * export (1M rows, 14 columns, ~155 bytes a row, after parse and validate): ~1,060 bytes of heap per id held as
 * ProfileRow objects in a Map, ~740 packed; ~320 packed when the cells are one-byte strings.
 */
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import { detachString } from './detach-string.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import { SourceLabels } from './source-labels.js';

/** Separates packed values; rows with this character in a name or value are held unpacked. */
const SEP = '\0';

/**
 * Heap estimates, calibrated with `process.memoryUsage().heapUsed` on Node 20 (64-bit, no pointer compression).
 * Strings count 2 bytes per character: V8 keeps a string cut from a decoded chunk in the chunk's width, and a
 * chunk holding any character above U+00FF is two-byte throughout; on the reference export most packed rows
 * were two-byte. (Measured there: ~740 bytes of heap per held row against ~300 estimated at 1 byte per char.)
 */
const STRING_HEADER_BYTES = 16;
const BYTES_PER_CHAR = 2;
/** Map entry (with the table's spare capacity) plus the four per-slot array elements. */
const PACKED_ROW_BYTES = 96;
/** MergedRow object, attributes object, origins array. */
const MERGED_ROW_BYTES = 240;
const MERGED_ATTRIBUTE_BYTES = 48;
const ORIGIN_BYTES = 48;

export class RowStore {
  private readonly trackOrigins: boolean;
  private readonly slotById = new Map<string, number>();
  /** Per slot: the packed values, or the row's MergedRow once it is not packed. */
  private readonly held: (string | MergedRow)[] = [];
  private readonly shapeOf: number[] = [];
  private readonly lineOf: number[] = [];
  private readonly sourceOf: number[] = [];
  private readonly shapes: (readonly string[])[] = [];
  private readonly shapeByKey = new Map<string, number>();
  private readonly sourceLabels = new SourceLabels();
  private readonly sources = this.sourceLabels.labels;
  private lastShape = -1;
  /** Estimated heap bytes held. */
  estimatedBytes = 0;

  /** @param trackOrigins keep which origin set each value (merge policy `reject`) */
  constructor(trackOrigins: boolean) {
    this.trackOrigins = trackOrigins;
  }

  get size(): number {
    return this.held.length;
  }

  has(id: string): boolean {
    return this.slotById.has(id);
  }

  /** Holds the first row of an id. The caller checked `has(id)` is false. */
  add(row: ProfileRow): void {
    const id = detachString(row.id);
    const slot = this.held.length;
    this.slotById.set(id, slot);
    const packed = row.origins.length === 1 ? this.pack(row) : undefined;
    if (packed === undefined) {
      const merged = this.toMergedRow(id, row.attributes, row.origins);
      this.held.push(merged);
      this.shapeOf.push(-1);
      this.lineOf.push(0);
      this.sourceOf.push(-1);
      this.estimatedBytes += PACKED_ROW_BYTES + STRING_HEADER_BYTES + BYTES_PER_CHAR * id.length + estimateMerged(merged);
      return;
    }
    const origin = row.origins[0]!;
    this.held.push(packed);
    this.shapeOf.push(this.lastShape);
    this.lineOf.push(origin.line);
    this.sourceOf.push(this.sourceLabels.indexOf(origin.source));
    this.estimatedBytes += PACKED_ROW_BYTES + 2 * STRING_HEADER_BYTES + BYTES_PER_CHAR * (id.length + packed.length);
  }

  /** The id's row as a MergedRow, unpacking it on the first duplicate. */
  open(id: string): MergedRow {
    const slot = this.slotById.get(id)!;
    const entry = this.held[slot]!;
    if (typeof entry !== 'string') return entry;
    const merged = new MergedRow(id, this.unpackAttributes(slot, entry), [this.originOf(slot)], this.trackOrigins);
    this.held[slot] = merged;
    this.estimatedBytes += estimateMerged(merged) - STRING_HEADER_BYTES - BYTES_PER_CHAR * entry.length;
    return merged;
  }

  /** Accounts for a row folded into a held MergedRow (an over-estimate: values that replace count in full). */
  grow(row: ProfileRow): void {
    this.estimatedBytes += row.origins.length * ORIGIN_BYTES;
    for (const value of Object.values(row.attributes)) this.estimatedBytes += MERGED_ATTRIBUTE_BYTES + BYTES_PER_CHAR * value.length;
  }

  /** Every held row in first-seen id order; the store is empty afterwards. */
  *drain(): Generator<ProfileRow | MergedRow> {
    const { held } = this;
    for (const [id, slot] of this.slotById) {
      const entry = held[slot]!;
      if (typeof entry === 'string') {
        yield { id, attributes: this.unpackAttributes(slot, entry), origins: [this.originOf(slot)] };
      } else {
        yield entry;
      }
      held[slot] = ''; // let the row go as soon as it is emitted
    }
    this.slotById.clear();
    for (const list of [this.held, this.shapeOf, this.lineOf, this.sourceOf]) list.length = 0;
    this.estimatedBytes = 0;
  }

  /** Packs the row's values and sets `lastShape`; undefined when the row cannot be packed safely. */
  private pack(row: ProfileRow): string | undefined {
    const attributes = row.attributes;
    const names = Object.keys(attributes);
    const shape = this.shapeIndex(names);
    if (shape < 0) return undefined;
    this.lastShape = shape;
    if (names.length === 0) return '';
    if (names.length === 1) {
      const value = attributes[names[0]!]!;
      return value.includes(SEP) ? undefined : detachString(value);
    }
    const values: string[] = new Array<string>(names.length);
    for (let i = 0; i < names.length; i++) {
      const value = attributes[names[i]!]!;
      if (value.includes(SEP)) return undefined;
      values[i] = value;
    }
    return values.join(SEP); // a fresh flat string: also lets go of the parser's chunk strings
  }

  private shapeIndex(names: readonly string[]): number {
    const last = this.shapes[this.lastShape];
    if (last !== undefined && sameNames(last, names)) return this.lastShape;
    const key = `${names.length}${SEP}${names.join(SEP)}`;
    const known = this.shapeByKey.get(key);
    if (known !== undefined) return known;
    // Names holding the separator could make two different shapes share a key: never pack those rows.
    if (names.some((name) => name.includes(SEP))) return -1;
    const index = this.shapes.length;
    this.shapes.push(names.map(detachString));
    this.shapeByKey.set(key, index);
    return index;
  }

  private unpackAttributes(slot: number, packed: string): Record<string, string> {
    const names = this.shapes[this.shapeOf[slot]!]!;
    const attributes: Record<string, string> = {};
    if (names.length === 0) return attributes;
    const values = names.length === 1 ? [packed] : packed.split(SEP);
    for (let i = 0; i < names.length; i++) setOwn(attributes, names[i]!, values[i]!);
    return attributes;
  }

  private originOf(slot: number): RowOrigin {
    return { source: this.sources[this.sourceOf[slot]!]!, line: this.lineOf[slot]! };
  }

  private toMergedRow(id: string, attributes: Record<string, string>, origins: readonly RowOrigin[]): MergedRow {
    const copy: Record<string, string> = {};
    for (const name of Object.keys(attributes)) setOwn(copy, name, attributes[name]!);
    return new MergedRow(id, copy, [...origins], this.trackOrigins);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function estimateMerged(row: MergedRow): number {
  let bytes = MERGED_ROW_BYTES + row.origins.length * ORIGIN_BYTES;
  for (const name of Object.keys(row.attributes)) bytes += MERGED_ATTRIBUTE_BYTES + BYTES_PER_CHAR * row.attributes[name]!.length;
  return bytes;
}
