/**
 * The generator as bytes: a Readable of UTF-8 chunks, and a helper that writes a file and returns the stats.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SampleExportGenerator } from './sample-export-generator.js';
import type { SampleExportStats } from './sample-export-generator.js';
import type { SampleExportOptions } from './sample-export-options.js';

/** Chunks are ~300 KB: a few of them buffered keep the disk busy without holding much memory. */
const HIGH_WATER_MARK_BYTES = 1024 * 1024;

/** A CSV export (header first) of `options.rows` realistic CRM rows; same options → same bytes. */
export function generateSampleExport(options: SampleExportOptions): Readable {
  return sampleExportStream(new SampleExportGenerator(options));
}

/** Streams a generator you hold, so you can read `generator.stats()` once the stream ended. */
export function sampleExportStream(generator: SampleExportGenerator): Readable {
  return new Readable({
    highWaterMark: HIGH_WATER_MARK_BYTES,
    read() {
      // Honour backpressure: produce until the buffer is full, then wait for the next read().
      for (;;) {
        const text = generator.nextChunk();
        if (text === null) {
          this.push(null);
          return;
        }
        if (!this.push(Buffer.from(text, 'utf8'))) return;
      }
    },
  });
}

/** Writes a sample export to `path` (replacing it) and returns what was planted in it. */
export async function writeSampleExport(path: string, options: SampleExportOptions): Promise<SampleExportStats> {
  const generator = new SampleExportGenerator(options);
  await pipeline(sampleExportStream(generator), createWriteStream(path));
  return generator.stats();
}
