/**
 * Options of the merge-by-id stage, resolved once into a frozen normalized form.
 */
import { tmpdir } from 'node:os';
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
   * Estimated memory the merge may hold. The fused merge of `runBatchPipeline` spills to disk past it (see
   * `spill`); the object merge step (`createMergeStep`) stops with MEMORY_BUDGET_EXCEEDED.
   * @default 268435456 (256 MiB)
   */
  maxMemoryBytes?: number;
  /**
   * Past the budget, spill rows to temporary files and merge partition by partition (byte-identical batches);
   * false: stop with MEMORY_BUDGET_EXCEEDED instead. @default true
   */
  spill?: boolean;
  /** Where the spill makes its private directory (removed when the run ends). @default os.tmpdir() */
  tempDir?: string;
  /** Partition files of a spill; each is merged in memory on its own. @default 64 */
  spillPartitions?: number;
  /**
   * The input is grouped by id (all rows of an id consecutive, e.g. sorted): merge in O(1) memory and hand on
   * batches while reading. An id that reappears later stops the run with INPUT_NOT_GROUPED. @default false
   */
  presorted?: boolean;
}

export interface ResolvedMergeOptions {
  readonly policy: MergePolicy;
  readonly maxMemoryBytes: number;
  /** The spill's parent directory; undefined when spilling is off. */
  readonly tempDir: string | undefined;
  readonly spillPartitions: number;
  readonly presorted: boolean;
}

export const DEFAULT_MERGE_MEMORY_BYTES = 256 * 1024 * 1024;
export const DEFAULT_SPILL_PARTITIONS = 64;

export function resolveMergeOptions(options: MergeOptions = {}): ResolvedMergeOptions {
  const policy = options.policy ?? 'last';
  if (!(MERGE_POLICIES as readonly string[]).includes(policy)) throw invalidOption('policy', MERGE_POLICIES.join(' | '), policy);
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MERGE_MEMORY_BYTES;
  if (!Number.isSafeInteger(maxMemoryBytes) || maxMemoryBytes <= 0) {
    throw invalidOption('maxMemoryBytes', 'a positive integer number of bytes', maxMemoryBytes);
  }
  const spill = options.spill ?? true;
  if (typeof spill !== 'boolean') throw invalidOption('spill', 'true or false', spill);
  const tempDir = options.tempDir ?? tmpdir();
  if (typeof tempDir !== 'string' || tempDir === '') throw invalidOption('tempDir', 'a directory path', tempDir);
  const spillPartitions = options.spillPartitions ?? DEFAULT_SPILL_PARTITIONS;
  if (!Number.isSafeInteger(spillPartitions) || spillPartitions < 2 || spillPartitions > 1024) {
    throw invalidOption('spillPartitions', 'an integer from 2 to 1024', spillPartitions);
  }
  const presorted = options.presorted ?? false;
  if (typeof presorted !== 'boolean') throw invalidOption('presorted', 'true or false', presorted);
  return Object.freeze({ policy, maxMemoryBytes, tempDir: spill ? tempDir : undefined, spillPartitions, presorted });
}
