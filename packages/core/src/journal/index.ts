export * from './records.js';
export * from './fingerprint.js';
export * from './journal-writer.js';
export * from './journal-reader.js';
