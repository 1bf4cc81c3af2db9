/**
 * What a mapping means for one input header, decided once per distinct `columns` array: which input column
 * feeds which output column through which transforms, and the new header. Problems are fatal INVALID_MAPPING:
 * every row of the input would share them.
 */
import { BulkpipeError, ErrorCode } from '@bulkpipe/core';
import type { ColumnRule, Mapping } from './mapping.js';
import { compileTransforms } from './value-transforms.js';
import type { ValueTransform } from './value-transforms.js';

type TransformFn = (value: string) => string;

export interface MapPlan {
  /** The output header, shared (frozen) by every record mapped with this plan. */
  readonly columns: readonly string[];
  /** Output columns read from the input, parallel arrays: input header… */
  readonly from: readonly string[];
  /** …output name… */
  readonly to: readonly string[];
  /** …and transforms (empty: copy as is)… */
  readonly transforms: readonly (readonly TransformFn[])[];
  /** …by name (the fast lane applies them to bytes, parallel/byte-transforms.ts). */
  readonly transformNames: readonly (readonly ValueTransform[])[];
  readonly constantNames: readonly string[];
  readonly constantValues: readonly string[];
  /** An output name is `__proto__`: such records get a prototype-less fields object. */
  readonly nullPrototype: boolean;
}

const LISTED_COLUMNS = 30;

export function compileMapPlan(mapping: Mapping, header: readonly string[], source: string): MapPlan {
  const present = new Set(header);
  const missing = (column: string, path: string): BulkpipeError => {
    const listed = header.slice(0, LISTED_COLUMNS).map((c) => JSON.stringify(c)).join(', ');
    const more = header.length > LISTED_COLUMNS ? ` … and ${header.length - LISTED_COLUMNS} more` : '';
    return new BulkpipeError(
      ErrorCode.INVALID_MAPPING,
      `Mapping ${mapping.label} refers to column ${JSON.stringify(column)} (${path}), which is not in the header of ${source}. Columns: ${listed}${more}`,
      { source, column },
    );
  };

  const rules = new Map<string, ColumnRule>();
  for (const rule of mapping.columns) {
    if (!present.has(rule.column)) throw missing(rule.column, `columns[${JSON.stringify(rule.column)}]`);
    rules.set(rule.column, rule);
  }
  for (const derived of mapping.derive) {
    if (!present.has(derived.from)) throw missing(derived.from, `derive[${JSON.stringify(derived.name)}].from`);
  }

  const from: string[] = [];
  const to: string[] = [];
  const transforms: (readonly TransformFn[])[] = [];
  const transformNames: (readonly ValueTransform[])[] = [];
  const origin = new Map<string, string>();
  const claim = (name: string, what: string): void => {
    const earlier = origin.get(name);
    if (earlier !== undefined) {
      throw new BulkpipeError(ErrorCode.INVALID_MAPPING, `Mapping ${mapping.label} gives two columns the name ${JSON.stringify(name)} for ${source}: ${earlier} and ${what}. Rename or drop one`, {
        source,
        column: name,
      });
    }
    origin.set(name, what);
  };

  for (const column of header) {
    const rule = rules.get(column);
    if (rule === undefined ? mapping.otherColumns === 'drop' : !rule.keep) continue;
    const name = rule?.rename ?? column;
    claim(name, `input column ${JSON.stringify(column)}`);
    from.push(column);
    to.push(name);
    transforms.push(compileTransforms(rule?.transforms ?? []));
    transformNames.push(Object.freeze([...(rule?.transforms ?? [])]));
  }
  for (const derived of mapping.derive) {
    claim(derived.name, `derived column ${JSON.stringify(derived.name)}`);
    from.push(derived.from);
    to.push(derived.name);
    transforms.push(compileTransforms(derived.transforms));
    transformNames.push(Object.freeze([...derived.transforms]));
  }
  for (const constant of mapping.constants) claim(constant.name, `constant ${JSON.stringify(constant.name)}`);

  const constantNames = mapping.constants.map((c) => c.name);
  const columns = Object.freeze([...to, ...constantNames]);
  return Object.freeze({
    columns,
    from: Object.freeze(from),
    to: Object.freeze(to),
    transforms: Object.freeze(transforms),
    transformNames: Object.freeze(transformNames),
    constantNames: Object.freeze(constantNames),
    constantValues: Object.freeze(mapping.constants.map((c) => c.value)),
    nullPrototype: origin.has('__proto__'),
  });
}
