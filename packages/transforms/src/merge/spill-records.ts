/**
 * What the records of a spilled merge's files carry besides the row bytes (the extra, as JSON), and which
 * partition an id's rows go to: shared by the thread that spills, the partition merges and the final k-way merge.
 */
import type { RowOrigin } from '@bulkpipe/core';
import type { DrainTarget } from './held-rows.js';
import { MergedRow } from './merged-row.js';
import { setOwn } from './own-attributes.js';
import { RecordKind } from './spill-file.js';
import type { SpillWriter } from './spill-file.js';

/** The JSON of a record's extra: raw id, origins as [source, line], a folded row's state, a conflict. */
export interface Extra {
  /** Raw id, when it differs from the encoded bytes (always for CONFLICT). */
  r?: string;
  /** Every origin, [source index, line], for rows folded from several lines. */
  o?: [number, number][];
  /** CONFLICT (a MergedRow): attribute names and encoded values, in the attributes object's key order. */
  n?: string[];
  v?: string[];
  /** CONFLICT: which origin set each value, [name index, origin index]. */
  s?: [number, number][];
  /** FOLDED, policy `reject`: which origin (index) set each value of the row's bytes. */
  p?: number[];
  /** FOLDED (policy `reject`) and CONFLICT: the conflicting attribute, and the held and incoming origins' indices. */
  c?: [string, number, number];
}

/** Where the drained rows of a partition go: its sorted run file. */
export function runTarget(writer: SpillWriter, sources: readonly string[]): DrainTarget {
  return {
    row(src, start, end, idBytes, shape, rawId, origins, source, line, seq) {
      const extra: Extra | undefined =
        rawId === undefined && origins === undefined ? undefined : { r: rawId, o: origins?.map((origin) => [sources.indexOf(origin.source), origin.line]) };
      writer.write(RecordKind.ROW, seq, shape, source, line, src, start, end, idBytes, extra === undefined ? undefined : JSON.stringify(extra));
    },
    conflict(row, seq) {
      const empty = Buffer.alloc(0);
      writer.write(RecordKind.CONFLICT, seq, -1, -1, 0, empty, 0, 0, 0, JSON.stringify(foldedExtra(row, sources)));
    },
  };
}

/** A folded row's whole state, origins by index (a conflict and setBy point at origins by identity). */
export function foldedExtra(row: MergedRow, sources: readonly string[]): Extra {
  const names = Object.keys(row.attributes);
  const extra: Extra = {
    r: row.id,
    o: row.origins.map((origin) => [sources.indexOf(origin.source), origin.line]),
    n: names,
    v: names.map((name) => row.attributes[name]!),
  };
  if (row.setBy !== undefined) extra.s = [...row.setBy].map(([name, origin]) => [names.indexOf(name), row.origins.indexOf(origin)]);
  if (row.conflict !== undefined) extra.c = [row.conflict.attribute, row.origins.indexOf(row.conflict.held), row.origins.indexOf(row.conflict.incoming)];
  return extra;
}

export function restoreFolded(extra: Extra, sources: readonly string[]): MergedRow {
  const origins = extra.o!.map(([source, line]): RowOrigin => ({ source: sources[source]!, line }));
  const attributes: Record<string, string> = {};
  const names = extra.n ?? [];
  names.forEach((name, i) => setOwn(attributes, name, extra.v![i]!));
  const row = new MergedRow(extra.r!, attributes, origins, extra.s !== undefined);
  if (extra.s !== undefined) {
    row.setBy!.clear();
    for (const [name, origin] of extra.s) row.setBy!.set(names[name]!, origins[origin]!);
  }
  if (extra.c !== undefined) row.conflict = { attribute: extra.c[0], held: origins[extra.c[1]]!, incoming: origins[extra.c[2]]! };
  return row;
}

/**
 * A stable partition of encoded id bytes: FNV-1a, mixed (murmur3's finalizer) with the split depth so a
 * re-split spreads a partition's ids again. Not the arena's bucket bits: a partition's ids share those.
 */
export function partitionOf(buf: Uint8Array, start: number, idBytes: number, depth: number, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + idBytes; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  hash ^= Math.imul(depth + 1, 0x9e3779b9);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % partitions;
}

