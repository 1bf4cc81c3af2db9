/**
 * A mapping, as `parseMapping` returns it: validated, normalized, frozen. The JSON file shape is documented in
 * docs/mapping.md; this is the form the map step reads.
 */
import type { IdType } from '@bulkpipe/core';
import type { ValueTransform } from './value-transforms.js';

/** What happens to one input column listed under `columns`. */
export interface ColumnRule {
  /** The input header. */
  readonly column: string;
  /** `false` in the file drops the column. */
  readonly keep: boolean;
  /** Output name; the input name when absent. */
  readonly rename?: string;
  readonly transforms: readonly ValueTransform[];
}

/** A new column computed from an input column's original value (before that column's own transforms). */
export interface DerivedColumn {
  readonly name: string;
  readonly from: string;
  readonly transforms: readonly ValueTransform[];
}

export interface ConstantColumn {
  readonly name: string;
  readonly value: string;
}

export type OtherColumns = 'keep' | 'drop';

export interface Mapping {
  /** Where the mapping came from (file path, or `mapping`), for messages. */
  readonly label: string;
  /** The id column, named as it is **after** mapping. The CLI's --id-column overrides it. */
  readonly idColumn?: string;
  /** The CLI's --id-type overrides it. */
  readonly idType?: IdType;
  /** Rules for listed input columns, in file order. */
  readonly columns: readonly ColumnRule[];
  /** Input columns not listed under `columns`: kept as they are, or dropped. @default 'keep' */
  readonly otherColumns: OtherColumns;
  readonly derive: readonly DerivedColumn[];
  readonly constants: readonly ConstantColumn[];
}
