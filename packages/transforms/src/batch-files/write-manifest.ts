/** manifest.json: the batch files of a run and the run's summary, written last. */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, outputError } from './batch-dir.js';
import type { ManifestEntry } from './write-batch-files.js';

export interface Manifest<Summary extends object = Record<string, unknown>> {
  readonly batches: readonly ManifestEntry[];
  readonly summary: Summary;
}

/**
 * Writes `<dir>/manifest.json` as `{ "batches": [...], "summary": {...} }` (summary is the caller's, as is)
 * and returns its path. Written to a temporary file and renamed, so a reader never sees half a manifest.
 */
export async function writeManifest<Summary extends object>(dir: string, entries: readonly ManifestEntry[], summary: Summary): Promise<string> {
  const manifest: Manifest<Summary> = { batches: entries, summary };
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temporary, path);
  } catch (error) {
    throw outputError(`Cannot write ${path}`, error);
  }
  return path;
}
