/** Shared by the upload tests: a small export on disk, an emulator on port 0, a run context. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@bulkpipe/emulator';
import type { EmulatorOptions, RunningEmulator } from '@bulkpipe/emulator';
import { RunContext } from '../src/run-context.js';
import type { UploadRunOptions } from '../src/assemble/upload-run.js';

export const CLIENT = 'acme';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bulkpipe-upload-test-'));
}

/** `rows` customers c-0001…, with a tier and a city; line n+1 holds customer n. */
export function exportCsv(rows: number, tierOf: (n: number) => string = (n) => (n % 3 === 0 ? 'gold' : 'silver')): string {
  let text = 'customer_id,tier,city\n';
  for (let n = 1; n <= rows; n++) text += `c-${String(n).padStart(4, '0')},${tierOf(n)},City ${n}\n`;
  return text;
}

export async function writeExport(dir: string, rows: number, name = 'export.csv'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, exportCsv(rows));
  return path;
}

export async function emulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ ...options, settings: { processingDelayMs: 0, ...options.settings } });
}

export function context(signal?: AbortSignal): RunContext {
  return new RunContext(signal ? { signal } : {});
}

/** Options for a fast run: small batches, quick polls, no real waiting in retries. */
export function fastRun(server: RunningEmulator, input: string, extra: Partial<UploadRunOptions> = {}): UploadRunOptions {
  return {
    inputs: [input],
    idColumn: 'customer_id',
    client: CLIENT,
    baseUrl: server.url,
    batch: { maxRows: 10 },
    status: { initialDelayMs: 5, maxDelayMs: 20 },
    retry: { minDelayMs: 1, maxDelayMs: 5, jitter: 'none' },
    journalFsync: false,
    ...extra,
  };
}
