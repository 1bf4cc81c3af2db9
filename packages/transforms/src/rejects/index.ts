export type { RejectsCsvWriterOptions } from './rejects-csv-writer.js';
export { RejectsCsvWriter, REJECT_COLUMNS, OTHER_FIELDS_COLUMN } from './rejects-csv-writer.js';
export { attachRejectsWriter } from './attach-rejects-writer.js';
export { neutraliseCell } from './neutralise-cell.js';
