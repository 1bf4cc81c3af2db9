/**
 * The row of one id that has been folded from two or more input rows, and the fold itself.
 */
import type { ProfileRow, RowOrigin } from '@bulkpipe/core';
import type { MergePolicy } from './merge-options.js';
import { ownValue, setOwn } from './own-attributes.js';

/** Two rows of one id that disagree on an attribute (policy `reject`). */
export interface MergeConflict {
  readonly attribute: string;
  /** The origin whose value was held when the conflicting row arrived. */
  readonly held: RowOrigin;
  /** The origin of the row that disagreed. */
  readonly incoming: RowOrigin;
}

/** A ProfileRow that merge owns and may change; emitted as is at the end of input. */
export class MergedRow implements ProfileRow {
  readonly id: string;
  readonly attributes: Record<string, string>;
  readonly origins: RowOrigin[];
  /** Policy `reject` only: which origin set each held value, to name the other line of a conflict. */
  readonly setBy: Map<string, RowOrigin> | undefined;
  conflict: MergeConflict | undefined;

  constructor(id: string, attributes: Record<string, string>, origins: RowOrigin[], trackOrigins: boolean) {
    this.id = id;
    this.attributes = attributes;
    this.origins = origins;
    this.setBy = trackOrigins ? new Map() : undefined;
    if (this.setBy && origins[0]) for (const name of Object.keys(attributes)) this.setBy.set(name, origins[0]);
  }

  /** Folds a later row of the same id into this one, by policy. Empty values never count: Target ignores them. */
  fold(row: ProfileRow, policy: MergePolicy): void {
    const incoming = row.attributes;
    const names = Object.keys(incoming);
    if (policy === 'last') {
      for (const name of names) {
        const value = incoming[name]!;
        if (value !== '') setOwn(this.attributes, name, value);
      }
    } else if (policy === 'first') {
      for (const name of names) {
        const value = incoming[name]!;
        if (value !== '' && !ownValue(this.attributes, name)) setOwn(this.attributes, name, value);
      }
    } else if (this.conflict === undefined) {
      const origin = row.origins[0]!;
      for (const name of names) {
        const value = incoming[name]!;
        if (value === '') continue;
        const held = ownValue(this.attributes, name);
        if (!held) {
          setOwn(this.attributes, name, value);
          this.setBy!.set(name, origin);
        } else if (held !== value) {
          this.conflict = { attribute: name, held: this.setBy!.get(name) ?? this.origins[0]!, incoming: origin };
          break;
        }
      }
    }
    for (const origin of row.origins) this.origins.push(origin);
  }
}
