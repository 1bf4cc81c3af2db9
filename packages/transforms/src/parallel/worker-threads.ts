/**
 * What bulkpipe's worker threads share: starting one from a module beside the caller, and errors as plain data
 * across the thread boundary (errors do not keep their class there).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { BulkpipeError } from '@bulkpipe/core';
import type { ErrorCode } from '@bulkpipe/core';

/** A worker failure, as plain data. */
export interface SerializedError {
  code: string | undefined;
  name: string;
  message: string;
  context: Record<string, unknown> | undefined;
}

/**
 * Starts the worker module `name` that sits beside `from` (the caller's `import.meta.url`): the built `.js` (in
 * the packages' dist, and flat beside the chunks in the CLI bundle), or under tsx (tests, the bench from source)
 * the `.ts`, which the worker can only load with tsx's loader registered in it too: tsx's `--import` hook does
 * not reach worker threads.
 */
export function startSiblingWorker(from: string, name: string, options: WorkerOptions): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL(`./${name}.ts`, from).href);
  return new Worker(`import(${api}).then(({ register }) => { register(); return import(${entry}); })`, { ...options, eval: true });
}

export function serializeError(error: unknown): SerializedError {
  const { code, name, message, context } = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown; context?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(error),
    context: typeof context === 'object' && context !== null ? { ...context } : undefined,
  };
}

export function deserializeError(error: SerializedError): Error {
  if (error.code !== undefined && error.name === 'BulkpipeError') return new BulkpipeError(error.code as ErrorCode, error.message, error.context);
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}
