/** Shared by the sample-*.test.ts files: run the generator to a string and parse it with csv-parse (the oracle). */
import { parse } from 'csv-parse/sync';
import { SampleExportGenerator } from '../src/sample/index.js';
import type { SampleExportOptions, SampleExportStats } from '../src/sample/index.js';

export function generateText(options: SampleExportOptions): { text: string; stats: SampleExportStats } {
  const generator = new SampleExportGenerator(options);
  let text = '';
  for (let chunk = generator.nextChunk(); chunk !== null; chunk = generator.nextChunk()) text += chunk;
  return { text, stats: generator.stats() };
}

/** Strict RFC 4180 parse: every record must have as many fields as the header. */
export function parseStrict(text: string, delimiter = ','): string[][] {
  return parse(text, { delimiter, bom: true, relax_quotes: false, relax_column_count: false }) as string[][];
}
