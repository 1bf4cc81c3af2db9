/** Placeholder until the parse step exists: same as the scanner. */
import { bulkpipeScanner } from './candidates.js';
import type { Candidate } from './candidates.js';
export const bulkpipeRecords: Candidate = { ...bulkpipeScanner, name: 'bulkpipe (records) — pending' };
