/**
 * Options of the batcher, resolved once into a frozen normalized form. The caps default to Target's limits
 * and may only be lowered: a larger batch is one Target refuses.
 */
import { ID_TYPES, MAX_BATCH_BYTES, MAX_BATCH_ROWS, invalidOption } from '@bulkpipe/core';
import type { IdType } from '@bulkpipe/core';

export interface BatchOptions {
  /** The key column's header, spelled as Target expects it. @default 'thirdPartyId' */
  idType?: IdType;
  /**
   * The exact encoded body (`batch=`, header, every LF) stays **strictly below** this many bytes.
   * At most MAX_BATCH_BYTES. @default 50000000
   */
  maxBytes?: number;
  /** At most this many data rows per batch. At most MAX_BATCH_ROWS. @default 500000 */
  maxRows?: number;
}

export interface ResolvedBatchOptions {
  readonly idType: IdType;
  readonly maxBytes: number;
  readonly maxRows: number;
}

export function resolveBatchOptions(options: BatchOptions = {}): ResolvedBatchOptions {
  const idType = options.idType ?? 'thirdPartyId';
  if (!(ID_TYPES as readonly string[]).includes(idType)) throw invalidOption('idType', ID_TYPES.join(' | '), idType);
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_BATCH_BYTES) {
    throw invalidOption('maxBytes', `an integer from 1 to ${MAX_BATCH_BYTES} (Target's limit)`, maxBytes);
  }
  const maxRows = options.maxRows ?? MAX_BATCH_ROWS;
  if (!Number.isSafeInteger(maxRows) || maxRows < 1 || maxRows > MAX_BATCH_ROWS) {
    throw invalidOption('maxRows', `an integer from 1 to ${MAX_BATCH_ROWS} (Target's limit)`, maxRows);
  }
  return Object.freeze({ idType, maxBytes, maxRows });
}
