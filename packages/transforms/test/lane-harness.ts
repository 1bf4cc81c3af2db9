/**
 * Runs one input through the encode worker's fast lane, and through the parse step (+ map step) + RecordEncoder
 * it stands in for, collecting what each produced: the lane differential tests compare the two.
 */
import type { IdType, InputRecord, RejectedRow, RowWarning, ValuePolicy } from '@bulkpipe/core';
import { RunContext } from '../src/run-context.js';
import { createParseStep, createSharedParseStep } from '../src/parse/parse-step.js';
import { RecordEncoder } from '../src/validate/record-encoder.js';
import { ShapeRegistry } from '../src/merge/row-shape.js';
import { ChunkBuffer } from '../src/parallel/encoded-chunk.js';
import { FastLane } from '../src/parallel/fast-lane.js';
import { createMapStep } from '../src/map/map-step.js';
import type { Mapping } from '../src/map/mapping.js';

export interface Outcome {
  rows: { bytes: string; idBytes: number; shape: readonly string[]; line: number; rawId: string | undefined }[];
  rejects: RejectedRow[];
  warnings: RowWarning[];
  read: number;
  error: unknown;
}

export interface Case {
  bytes: Buffer;
  cuts: number[];
  delimiter: string | undefined;
  maxRecordBytes: number;
  idType: IdType;
  /** Records are mapped before they are encoded; the id column is then `idColumn` (else `id`). */
  mapping?: Mapping;
  idColumn?: string;
  /** What the rules do with a comma, CR or LF in a value. @default reject */
  valuePolicy?: ValuePolicy;
}

function harness(idType: IdType, idColumn = 'id', valuePolicy?: ValuePolicy): { ctx: RunContext; outcome: Outcome; encoder: RecordEncoder; target: ChunkBuffer; shapes: ShapeRegistry; keep: (end: number, idBytes: number, shape: number, line: number, rawId: string | undefined) => void; encodeOne: (record: InputRecord) => void } {
  const ctx = new RunContext({ enforceRejectRate: false });
  const outcome: Outcome = { rows: [], rejects: [], warnings: [], read: 0, error: undefined };
  ctx.events.on('reject', (row) => outcome.rejects.push({ ...row, fields: row.fields === undefined ? undefined : { ...row.fields } }));
  ctx.events.on('warning', (warning) => outcome.warnings.push(warning));
  const shapes = new ShapeRegistry();
  const target = new ChunkBuffer(64);
  const encoder = new RecordEncoder({ idColumn, idType, valuePolicy }, ctx, target, shapes);
  const keep = (end: number, idBytes: number, shape: number, line: number, rawId: string | undefined): void => {
    outcome.rows.push({ bytes: target.buf.toString('latin1', target.rowStart, end), idBytes, shape: shapes.shapes[shape]!.names, line, rawId });
    target.rowStart = end;
  };
  const encodeOne = (record: InputRecord): void => {
    if (!encoder.encode(record)) return;
    const row = encoder.row;
    keep(row.end, row.idBytes, row.shape.id, record.line, row.idBytes !== row.id.length ? row.id : undefined);
  };
  return { ctx, outcome, encoder, target, shapes, keep, encodeOne };
}

function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces.filter((piece) => piece.length > 0);
}

function settle(outcome: Outcome, ctx: RunContext, run: () => void): Outcome {
  try {
    run();
  } catch (error) {
    const { code, message, context } = error as { code?: string; message: string; context?: unknown };
    // How much of an oversize record was read when the scanner gave up ("read N so far", whether a quote was
    // still open) depends on where the input's chunks end, which the lane changes (it carries a partial
    // record until it is complete); the code and the line the record starts on do not.
    outcome.error = code === 'BULKPIPE_RECORD_TOO_LARGE' ? { code, context } : { code, message, context };
  }
  outcome.read = ctx.counters.read;
  return outcome;
}

export function viaStep({ bytes, cuts, delimiter, maxRecordBytes, idType, mapping, idColumn, valuePolicy }: Case): Outcome {
  const { ctx, outcome, encodeOne } = harness(idType, idColumn, valuePolicy);
  const mapStep = mapping === undefined ? undefined : createMapStep(mapping, ctx);
  const emit = mapStep === undefined ? encodeOne : (record: InputRecord): void => mapStep.push(record, encodeOne);
  return settle(outcome, ctx, () => {
    const step = createParseStep({ delimiter, maxRecordBytes, sourceLabel: 'in.csv' }, ctx);
    for (const piece of chunks(bytes, cuts)) step.push(piece, emit);
    step.flush(emit);
  });
}

/** Records the lane took itself, over every viaLane call (tests check they are not vacuous). */
export const laneStats = { fastRecords: 0 };

export function viaLane({ bytes, cuts, delimiter, maxRecordBytes, idType, mapping, idColumn, valuePolicy }: Case): Outcome {
  const { ctx, outcome, encoder, target, keep, encodeOne } = harness(idType, idColumn, valuePolicy);
  const mapStep = mapping === undefined ? undefined : createMapStep(mapping, ctx);
  const emit = mapStep === undefined ? encodeOne : (record: InputRecord): void => mapStep.push(record, encodeOne);
  return settle(outcome, ctx, () => {
    const step = createSharedParseStep({ delimiter, maxRecordBytes, sourceLabel: 'in.csv', countBytes: false }, ctx);
    const lane = new FastLane({ step, encoder, target, keep, emit, ctx, maxRecordBytes, idType, mapStep, source: 'in.csv' });
    // The lane may keep no reference to a chunk once push returns (the file reader reuses its buffer).
    for (const piece of chunks(bytes, cuts)) {
      const scratch = Buffer.from(piece);
      lane.push(scratch);
      scratch.fill(0x21);
    }
    lane.end();
    laneStats.fastRecords += lane.fastRecords;
  });
}
