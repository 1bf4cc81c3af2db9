/**
 * The reference export: generated once into bench/data/ and reused while the generator's version and the
 * options are unchanged (a JSON sidecar records both, with the stats the benchmarks check against).
 */
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_EXPORT_VERSION, writeSampleExport } from '@bulkpipe/transforms';
import type { SampleExportOptions, SampleExportStats } from '@bulkpipe/transforms';

export type { SampleExportStats };

export interface ReferenceExport {
  readonly path: string;
  readonly stats: SampleExportStats;
  /** Wall time of the generation, when it happened in this run. */
  readonly generatedInMs?: number;
}

interface Sidecar {
  version: number;
  options: SampleExportOptions;
  stats: SampleExportStats;
}

export async function ensureReferenceExport(dataDir: string, options: SampleExportOptions): Promise<ReferenceExport> {
  await mkdir(dataDir, { recursive: true });
  const base = join(dataDir, `sample-${options.rows}-seed${options.seed ?? 1}`);
  const path = `${base}.csv`;
  const sidecarPath = `${base}.json`;
  const cached = await readSidecar(sidecarPath);
  if (
    cached !== undefined &&
    cached.version === SAMPLE_EXPORT_VERSION &&
    JSON.stringify(cached.options) === JSON.stringify(options) &&
    (await sizeOf(path)) === cached.stats.bytes
  ) {
    return { path, stats: cached.stats };
  }
  const started = performance.now();
  const stats = await writeSampleExport(path, options);
  const generatedInMs = performance.now() - started;
  const sidecar: Sidecar = { version: SAMPLE_EXPORT_VERSION, options, stats };
  await writeFile(sidecarPath, JSON.stringify(sidecar, null, 2) + '\n');
  return { path, stats, generatedInMs };
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
  } catch {
    return undefined;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
