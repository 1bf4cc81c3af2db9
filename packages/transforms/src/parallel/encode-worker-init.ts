/** What the encode worker is started with: plain data (it crosses a thread boundary by structured clone). */
import type { Mapping } from '../map/index.js';
import type { ValidateOptions } from '../validate/validate-options.js';

export interface EncodeWorkerInit {
  /** File paths, and '-' for stdin, read in order. */
  inputs: string[];
  parse: { delimiter?: string; maxRecordBytes?: number; recordsPerChunk?: number };
  mapping: Mapping | undefined;
  validate: ValidateOptions;
}

/** Chunks the worker may post before the main thread has taken them: bounds memory between the threads. */
export const MAX_CHUNKS_IN_FLIGHT = 4;
/** A chunk is posted once it holds this many rows or bytes (checked after each parsed record array). */
export const CHUNK_ROWS = 4096;
export const CHUNK_BYTES = 768 * 1024;

/** Main → a prewarmed worker (started before its run was known): what to do. Sent once, first. */
export interface InitMessage {
  type: 'init';
  init: EncodeWorkerInit;
}
