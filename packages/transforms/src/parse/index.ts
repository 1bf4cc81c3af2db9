/**
 * The parse stage: CSV bytes from a file, `.gz`, stdin, a Readable or an async iterable → arrays of
 * InputRecords. `parseInput()` is the object-mode stream for pipelines, `parseRecords()` the async generator
 * behind it, `createParseStep()` the pure step for callers who bring their own bytes.
 */
import { Readable } from 'node:stream';
import type { InputRecord } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import { defaultSourceLabel, openInput } from './parse-input.js';
import type { ParseInput } from './parse-input.js';
import { resolveParseOptions } from './parse-options.js';
import type { ParseOptions } from './parse-options.js';
import { createParseStep } from './parse-step.js';

export { createParseStep } from './parse-step.js';
export type { ParseStepOptions } from './parse-step.js';
export { DEFAULT_MAX_RECORD_BYTES, DEFAULT_RECORDS_PER_CHUNK, resolveParseOptions } from './parse-options.js';
export type { ParseOptions, ResolvedParseOptions } from './parse-options.js';
export type { ParseInput } from './parse-input.js';
export { SNIFFED_DELIMITERS } from './sniff-delimiter.js';

/**
 * Parses one CSV input into arrays of `recordsPerChunk` records (the last one shorter). Reads on demand only (one chunk at a
 * time), so memory stays constant whatever the input's size. Fatal problems (unreadable input, bad header,
 * invalid UTF-8, an oversize record…) throw a BulkpipeError; bad rows go to `ctx.reject()`.
 */
export async function* parseRecords(input: ParseInput, options: ParseOptions, ctx: RunContext): AsyncGenerator<InputRecord[]> {
  const resolved = resolveParseOptions(options);
  const source = resolved.sourceLabel ?? defaultSourceLabel(input);
  const step = createParseStep({ ...options, sourceLabel: source, countBytes: false }, ctx);
  const size = resolved.recordsPerChunk;
  let records: InputRecord[] = [];
  const full: InputRecord[][] = [];
  const emit = (record: InputRecord): void => {
    records.push(record);
    if (records.length === size) {
      full.push(records);
      records = [];
    }
  };
  for await (const chunk of openInput(input, source, ctx)) {
    step.push(chunk, emit);
    for (const array of full) yield array;
    full.length = 0;
  }
  step.flush(emit);
  for (const array of full) yield array;
  if (records.length > 0) yield records;
}

/** parseRecords() as an object-mode Readable of InputRecord arrays, for `pipeline()`. */
export function parseInput(input: ParseInput, options: ParseOptions, ctx: RunContext): Readable {
  // Validate options now, so a bad option throws here rather than as a stream error later.
  resolveParseOptions(options);
  return Readable.from(parseRecords(input, options, ctx), { objectMode: true, highWaterMark: 2 });
}
