/**
 * validate + percent-encode in one pass, straight into the merge's byte arena: the fast path behind
 * `runBatchPipeline`. Same rules, same rejects and warnings, in the same order, as `createValidateStep`
 * followed by the batcher's encoding (the differential test holds them together); what it saves is every
 * per-row object after the InputRecord (attributes, ProfileRow, origins, encoded strings, joined lines).
 *
 * The row written is the batch line without its LF: the encoded id, then `,value` for each non-empty value
 * in the order ProfileRow.attributes would list them. Which names have values is the row's shape.
 */
import { ErrorCode, MAX_ENCODED_BYTES_PER_UNIT, checkId, checkValue, percentEncodeInto } from '@bulkpipe/core';
import type { InputRecord, ResolvedValuePolicy, RuleWarning } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { RowArena } from '../merge/row-arena.js';
import type { RowShape, ShapeRegistry } from '../merge/row-shape.js';
import { setOwn } from '../merge/own-attributes.js';
import { compileHeader } from './header-plan.js';
import type { HeaderPlan } from './header-plan.js';
import { resolveValidateOptions } from './validate-options.js';
import type { ValidateOptions } from './validate-options.js';

/** Past this many attribute columns a shape is keyed by a string of indices instead of a bit mask. */
export const MASK_COLUMNS = 30;
const ATTRIBUTE_VALUE_WARN_LENGTH = 256;

export interface EncodePlan {
  readonly plan: HeaderPlan;
  /**
   * Attribute indices in the order a ProfileRow's attributes object lists them (Object.keys puts
   * integer-like names first), or undefined when that is header order (the usual case: one pass).
   */
  readonly keyOrder: readonly number[] | undefined;
  readonly shapeByMask: Map<number | string, RowShape>;
}

/**
 * Where rows are written: the merge's arena, or a worker's chunk (parallel/encoded-chunk.ts). The encoder
 * writes at `buf` from `rowStart` on, calling `ensure` before writing.
 */
export type EncodeTarget = Pick<RowArena, 'buf' | 'rowStart' | 'ensure'>;

/** What `encode` leaves for the caller when it returns true. */
export interface EncodedRowInfo {
  id: string;
  /** Bytes of the encoded id at the start of the row. */
  idBytes: number;
  /** Write end of the row in `arena.buf`. */
  end: number;
  shape: RowShape;
}

export class RecordEncoder {
  private readonly idType;
  private readonly idColumn;
  /** What is done with a comma, CR or LF in a value (the fast lane applies it too). */
  readonly valuePolicy: ResolvedValuePolicy;
  private readonly plans = new WeakMap<readonly string[], EncodePlan>();
  private lastColumns: readonly string[] | undefined;
  private lastPlan: EncodePlan | undefined;
  /** Scratch for the reordered (two-pass) path and wide shapes. */
  private readonly values: (string | undefined)[] = [];
  readonly row: EncodedRowInfo = { id: '', idBytes: 0, end: 0, shape: undefined as unknown as RowShape };

  constructor(
    options: ValidateOptions,
    private readonly ctx: RunContext,
    private readonly arena: EncodeTarget,
    private readonly shapes: ShapeRegistry,
  ) {
    const resolved = resolveValidateOptions(options);
    this.idType = resolved.idType;
    this.idColumn = resolved.idColumn;
    this.valuePolicy = resolved.valuePolicy;
  }

  /** Validates and writes one record at `arena.rowStart`; false when it was rejected (nothing to keep). */
  encode(record: InputRecord): boolean {
    const encodePlan = record.columns === this.lastColumns && this.lastPlan !== undefined ? this.lastPlan : this.planFor(record);
    const plan = encodePlan.plan;
    const fields = record.fields;
    const idType = this.idType;
    const id = fields[plan.idHeader];
    if (typeof id !== 'string') {
      this.reject(record, undefined, ErrorCode.ID_EMPTY, `${idType} is missing: the row ends before column ${JSON.stringify(plan.idHeader)}`);
      return false;
    }
    const idResult = checkId(id, idType);
    if (!idResult.ok) {
      this.reject(record, id, idResult.code, `${idResult.message} (column ${JSON.stringify(plan.idHeader)})`);
      return false;
    }
    let warnings: RuleWarning[] | undefined = idResult.warnings.length > 0 ? [...idResult.warnings] : undefined;

    const arena = this.arena;
    const start = arena.rowStart;
    let w = arena.ensure(start, id.length * MAX_ENCODED_BYTES_PER_UNIT);
    let buf = arena.buf;
    w = percentEncodeInto(id, buf, w);
    if (w < 0) throw new Error('bulkpipe bug: checkId passed an id percentEncode cannot encode');
    const idBytes = w - arena.rowStart;

    const headers = plan.headers;
    let mask = 0;
    let wide: string | undefined;
    if (encodePlan.keyOrder === undefined) {
      for (let i = 0; i < headers.length; i++) {
        const header = headers[i]!;
        let value = fields[header];
        if (typeof value !== 'string' || value === '') continue;
        if (w + 1 + value.length * MAX_ENCODED_BYTES_PER_UNIT > buf.length) {
          w = arena.ensure(w, 1 + value.length * MAX_ENCODED_BYTES_PER_UNIT);
          buf = arena.buf;
        }
        // Fast path: short and nothing to look at (the encoder stops at commas, CR, LF and lone surrogates).
        let end = value.length <= ATTRIBUTE_VALUE_WARN_LENGTH ? percentEncodeInto(value, buf, w + 1, true) : -1;
        if (end < 0) {
          const result = checkValue(value, header, this.valuePolicy);
          if (!result.ok) {
            this.reject(record, id, result.code, result.message);
            return false;
          }
          if (result.warnings.length > 0) (warnings ??= []).push(...result.warnings);
          if (result.value !== undefined) {
            value = result.value;
            if (value === '') continue;
            w = arena.ensure(w, 1 + value.length * MAX_ENCODED_BYTES_PER_UNIT); // a replacement may lengthen it
            buf = arena.buf;
          }
          end = percentEncodeInto(value, buf, w + 1);
        }
        buf[w] = 0x2c;
        w = end;
        if (i < MASK_COLUMNS) mask |= 1 << i;
        else wide = `${wide ?? mask},${i}`;
      }
    } else {
      // Integer-like names: check in header order (which value a reject names), write in key order.
      const values = this.values;
      values.length = headers.length;
      for (let i = 0; i < headers.length; i++) {
        const header = headers[i]!;
        let value = fields[header];
        values[i] = undefined;
        if (typeof value !== 'string' || value === '') continue;
        const result = checkValue(value, header, this.valuePolicy);
        if (!result.ok) {
          this.reject(record, id, result.code, result.message);
          return false;
        }
        if (result.warnings.length > 0) (warnings ??= []).push(...result.warnings);
        if (result.value !== undefined) value = result.value;
        if (value !== '') values[i] = value;
      }
      for (const i of encodePlan.keyOrder) {
        const value = values[i];
        if (value === undefined) continue;
        w = arena.ensure(w, 1 + value.length * MAX_ENCODED_BYTES_PER_UNIT);
        buf = arena.buf;
        buf[w] = 0x2c;
        w = percentEncodeInto(value, buf, w + 1);
        wide = `${wide ?? ''},${i}`;
      }
    }

    if (warnings !== undefined) for (const { code, message } of warnings) this.ctx.warn({ source: record.source, line: record.line, id, code, message });
    const shape = this.shapeOfKey(encodePlan, wide ?? mask);
    const row = this.row;
    row.id = id;
    row.idBytes = idBytes;
    row.end = w;
    row.shape = shape;
    return true;
  }

  /** The plan compiled for this header array, once a record with it was encoded (undefined before). */
  planOf(columns: readonly string[]): EncodePlan | undefined {
    return this.plans.get(columns);
  }

  /**
   * The shape of a row of `encodePlan` whose attribute i has a value exactly when bit i of `mask` is set (i below
   * MASK_COLUMNS) or i is one of `wide[0, wideCount)` (the others, ascending): what `encode` interns for such a
   * row, for writers of the same rows by other means (parallel/fast-lane.ts). Only for plans in header order
   * (`keyOrder` undefined).
   */
  shapeOfMask(encodePlan: EncodePlan, mask: number, wide?: Int32Array, wideCount = 0): RowShape {
    let key: number | string = mask;
    for (let i = 0; i < wideCount; i++) key = `${key},${wide![i]}`;
    return this.shapeOfKey(encodePlan, key);
  }

  /** The shape of a shape key (see shapeNames), interned once per plan. */
  private shapeOfKey(encodePlan: EncodePlan, key: number | string): RowShape {
    let shape = encodePlan.shapeByMask.get(key);
    if (shape === undefined) {
      shape = this.shapes.intern(shapeNames(encodePlan.plan, key, encodePlan.keyOrder));
      encodePlan.shapeByMask.set(key, shape);
    }
    return shape;
  }

  private planFor(record: InputRecord): EncodePlan {
    let encodePlan = this.plans.get(record.columns);
    if (encodePlan === undefined) {
      const plan = compileHeader(record.columns, this.idColumn, this.idType, record.source);
      encodePlan = { plan, keyOrder: keyOrder(plan.names), shapeByMask: new Map() };
      this.plans.set(record.columns, encodePlan);
      for (const { code, message } of plan.warnings) this.ctx.warn({ source: record.source, line: record.line, code, message: `header: ${message}` });
    }
    this.lastColumns = record.columns;
    this.lastPlan = encodePlan;
    return encodePlan;
  }

  private reject(record: InputRecord, id: string | undefined, code: string, message: string): void {
    this.ctx.reject(
      id === undefined
        ? { source: record.source, line: record.line, code, message, fields: record.fields }
        : { source: record.source, line: record.line, id, code, message, fields: record.fields },
    );
  }
}

/** The names of a shape key: a bit mask (attribute i has a value) or `<mask>,i,j…` / `,i,j…` for the rest. */
function shapeNames(plan: HeaderPlan, key: number | string, order: readonly number[] | undefined): string[] {
  const names: string[] = [];
  if (typeof key === 'number' || order === undefined) {
    const [maskText, ...rest] = String(key).split(',');
    const mask = Number(maskText);
    for (let i = 0; i < Math.min(MASK_COLUMNS, plan.names.length); i++) if (mask & (1 << i)) names.push(plan.names[i]!);
    for (const i of rest) names.push(plan.names[Number(i)]!);
    return names;
  }
  for (const i of key.split(',').slice(1)) names.push(plan.names[Number(i)]!);
  return names;
}

/** The order Object.keys gives these names as an object's keys; undefined when it is the given order. */
function keyOrder(names: readonly string[]): number[] | undefined {
  const probe: Record<string, string> = {};
  names.forEach((name, i) => setOwn(probe, name, String(i)));
  const order = Object.keys(probe).map((name) => Number(probe[name]));
  return order.every((index, i) => index === i) ? undefined : order;
}
