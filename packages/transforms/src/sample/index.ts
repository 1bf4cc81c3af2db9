export { generateSampleExport, sampleExportStream, writeSampleExport } from './sample-export-stream.js';
export { SampleExportGenerator, SAMPLE_COLUMNS, SAMPLE_EXPORT_VERSION, quoteField } from './sample-export-generator.js';
export type { SampleExportStats } from './sample-export-generator.js';
export { resolveSampleExportOptions, SAMPLE_DELIMITERS } from './sample-export-options.js';
export type { ResolvedSampleExportOptions, SampleExportOptions } from './sample-export-options.js';
