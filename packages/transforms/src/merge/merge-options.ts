/**
 * Options of the merge-by-id stage, resolved once into a frozen normalized form.
 */
import { invalidOption } from '@bulkpipe/core';

/** How rows that share an id are folded into the one row Target gets for that id. */
export const MERGE_POLICIES = ['last', 'first', 'reject'] as const;
export type MergePolicy = (typeof MERGE_POLICIES)[number];

export interface MergeOptions {
  /**
   * `last`: the last non-empty value of each attribute wins (what Target would end up with, since it ignores
   * empty values); `first`: the first non-empty value wins; `reject`: two rows of one id with different
   * non-empty values for the same attribute reject every row of that id (DUPLICATE_CONFLICT).
   * @default 'last'
   */
  policy?: MergePolicy;
  /**
   * Estimated memory the merge may hold before the run stops with MEMORY_BUDGET_EXCEEDED (the in-memory merge
   * holds every id until the end of input). @default 268435456 (256 MiB)
   */
  maxMemoryBytes?: number;
}

export interface ResolvedMergeOptions {
  readonly policy: MergePolicy;
  readonly maxMemoryBytes: number;
}

export const DEFAULT_MERGE_MEMORY_BYTES = 256 * 1024 * 1024;

export function resolveMergeOptions(options: MergeOptions = {}): ResolvedMergeOptions {
  const policy = options.policy ?? 'last';
  if (!(MERGE_POLICIES as readonly string[]).includes(policy)) throw invalidOption('policy', MERGE_POLICIES.join(' | '), policy);
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MERGE_MEMORY_BYTES;
  if (!Number.isSafeInteger(maxMemoryBytes) || maxMemoryBytes <= 0) {
    throw invalidOption('maxMemoryBytes', 'a positive integer number of bytes', maxMemoryBytes);
  }
  return Object.freeze({ policy, maxMemoryBytes });
}
