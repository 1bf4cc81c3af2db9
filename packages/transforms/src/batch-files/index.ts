export type { BatchFilesOptions, ManifestEntry } from './write-batch-files.js';
export { BatchFilesWriter, writeBatchFiles } from './write-batch-files.js';
export type { Manifest } from './write-manifest.js';
export { writeManifest } from './write-manifest.js';
export { MANIFEST_FILE, batchFileName, prepareBatchDir } from './batch-dir.js';
