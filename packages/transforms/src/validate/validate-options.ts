import { ID_TYPES, invalidOption, resolveValuePolicy } from '@bulkpipe/core';
import type { IdType, ResolvedValuePolicy, ValuePolicy } from '@bulkpipe/core';

export interface ValidateOptions {
  /** Header of the column holding the profile id (after mapping, when a mapping runs first). */
  idColumn: string;
  /** The key of the batch file. @default 'thirdPartyId' */
  idType?: IdType;
  /** Commas, CR and LF inside values. @default { onForbiddenChars: 'reject' } */
  valuePolicy?: ValuePolicy;
}

export interface ResolvedValidateOptions {
  readonly idColumn: string;
  readonly idType: IdType;
  readonly valuePolicy: ResolvedValuePolicy;
}

/** Checks the options once, up front; the step reads only the frozen result. */
export function resolveValidateOptions(options: ValidateOptions): ResolvedValidateOptions {
  if (typeof options.idColumn !== 'string' || options.idColumn === '') throw invalidOption('idColumn', 'the header of the id column', options.idColumn);
  const idType = options.idType ?? 'thirdPartyId';
  if (!(ID_TYPES as readonly string[]).includes(idType)) throw invalidOption('idType', `one of ${ID_TYPES.join(', ')}`, idType);
  return Object.freeze({ idColumn: options.idColumn, idType, valuePolicy: resolveValuePolicy(options.valuePolicy) });
}
