/**
 * What the fast lane (fast-lane.ts, mapped-line.ts) does about the value rules it can apply on bytes, and the
 * warnings a row earns by them — commas replaced or a value dropped under `--on-forbidden-chars`, a value over
 * ATTRIBUTE_VALUE_WARN_LENGTH characters — raised once the row is kept, in the order and words RecordEncoder
 * uses (core's charsReplacedWarning, valueDroppedWarning, longValueWarning).
 */
import { ATTRIBUTE_VALUE_WARN_LENGTH, charsReplacedWarning, longValueWarning, percentEncode, valueDroppedWarning } from '@bulkpipe/core';
import type { ResolvedValuePolicy } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';

/** The value policy as the lane applies it to a comma inside a value (CR and LF make a record the step's anyway). */
export class LaneCommaPolicy {
  readonly action: ResolvedValuePolicy['onForbiddenChars'];
  readonly replacement: string;
  /** The replacement percent-encoded, as written into a row. */
  readonly encoded: Buffer;
  /** The replacement's UTF-8 bytes and UTF-16 code units (what a value's length grows by, per comma, less one). */
  readonly bytes: number;
  readonly units: number;
  /** The most bytes one byte of a value becomes in a row: three (%XX), or a comma's encoded replacement. */
  readonly expansion: number;

  constructor(policy: ResolvedValuePolicy) {
    this.action = policy.onForbiddenChars;
    this.replacement = policy.replacement;
    this.encoded = Buffer.from(percentEncode(policy.replacement), 'latin1');
    this.bytes = Buffer.byteLength(policy.replacement);
    this.units = policy.replacement.length;
    this.expansion = Math.max(3, this.encoded.length);
  }

  /** Writes what a comma becomes at `o` (the replacement; nothing when the value is dropped); the write end. */
  write(out: Buffer, o: number): number {
    return this.action === 'replace' ? o + this.encoded.copy(out, o) : o;
  }
}

const Kind = { REPLACED: 0, DROPPED: 1, LONG: 2 } as const;
const COMMA = 0x2c;

/** The warnings of the row being encoded: reset with `count = 0` per row, raised by `raise` once it is kept. */
export class LaneWarnings {
  count = 0;
  private readonly kind: Int32Array;
  private readonly attribute: Int32Array;
  private readonly number: Int32Array;

  /** `attributes`: the most a row has (at most two warnings each: its commas or its drop, then its length). */
  constructor(attributes: number) {
    this.kind = new Int32Array(2 * attributes);
    this.attribute = new Int32Array(2 * attributes);
    this.number = new Int32Array(2 * attributes);
  }

  /** The value of `attribute` held `commas` commas: replaced, or the value dropped (policy `action`). */
  commas(attribute: number, commas: number, action: LaneCommaPolicy['action']): void {
    this.push(action === 'drop' ? Kind.DROPPED : Kind.REPLACED, attribute, action === 'drop' ? COMMA : commas);
  }

  /** The value of `attribute` is `units` UTF-16 code units long: a warning when that is over the limit. */
  length(attribute: number, units: number): void {
    if (units > ATTRIBUTE_VALUE_WARN_LENGTH) this.push(Kind.LONG, attribute, units);
  }

  /** Raises the row's warnings, as RecordEncoder does for record `line` of `source` with id `id`. */
  raise(ctx: RunContext, source: string, line: number, id: string, headers: readonly string[], replacement: string): void {
    for (let i = 0; i < this.count; i++) {
      const header = headers[this.attribute[i]!]!;
      const number = this.number[i]!;
      const kind = this.kind[i]!;
      const { code, message } =
        kind === Kind.REPLACED ? charsReplacedWarning(header, number, replacement) : kind === Kind.DROPPED ? valueDroppedWarning(header, number) : longValueWarning(header, number);
      ctx.warn({ source, line, id, code, message });
    }
  }

  private push(kind: number, attribute: number, number: number): void {
    this.kind[this.count] = kind;
    this.attribute[this.count] = attribute;
    this.number[this.count++] = number;
  }
}

/** UTF-16 code units of the valid UTF-8 bytes `data[from, to)`: one per sequence, two for a 4-byte one. */
export function utf16Units(data: Uint8Array, from: number, to: number): number {
  let units = 0;
  for (let i = from; i < to; i++) {
    const b = data[i]!;
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
  }
  return units;
}
