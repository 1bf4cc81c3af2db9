/**
 * The parser candidates, each given the same in-memory byte chunks and asked for every record as a cell
 * array (the bulkpipe candidate also as finished records). Decoding is part of the work: every candidate
 * decodes the stream with the same StringDecoder, except where its own decoding is the point.
 */
import { createRequire } from 'node:module';
import { StringDecoder } from 'node:string_decoder';
import { parse as csvParse } from 'csv-parse';
import Papa from 'papaparse';
import { CsvScanner } from '../../../packages/transforms/src/parse/csv-scanner.js';

// uDSV ships only CommonJS; it is a dev dependency of the bench, measured against bulkpipe's own scanner.
const requireFromBench = createRequire(import.meta.url);
interface UdsvParser {
  stringArrs: unknown;
  chunk<T>(text: string, parse: unknown, onData: (row: T) => void): void;
  end(): unknown;
}
const udsv = requireFromBench('udsv') as {
  inferSchema(text: string, options: { col: string; row: string; encl: string }): unknown;
  initParser(schema: unknown): UdsvParser;
};

export interface Candidate {
  readonly name: string;
  /** Parses every chunk; returns the number of data records (header excluded) and a checksum of cell lengths. */
  run(chunks: readonly Buffer[]): Promise<{ records: number; checksum: number }> | { records: number; checksum: number };
}

function decodeAll(chunks: readonly Buffer[], onText: (text: string) => void): void {
  const decoder = new StringDecoder('utf8');
  for (const chunk of chunks) {
    const text = decoder.write(chunk);
    if (text.length > 0) onText(text);
  }
  const rest = decoder.end();
  if (rest.length > 0) onText(rest);
}

export const bulkpipeScanner: Candidate = {
  name: 'bulkpipe CsvScanner (cells)',
  run(chunks) {
    let records = -1;
    let checksum = 0;
    const scanner = new CsvScanner({ delimiter: ',', maxRecordBytes: 16 * 1024 * 1024, source: 'bench' }, (cells) => {
      records++;
      checksum += cells.length;
    });
    decodeAll(chunks, (text) => scanner.push(text));
    scanner.end();
    return { records, checksum };
  },
};

export const udsvStream: Candidate = {
  name: 'uDSV 0.7.3 (chunked, string arrays)',
  run(chunks) {
    let records = 0;
    let checksum = 0;
    let parser: UdsvParser | undefined;
    const onData = (row: string[]): void => {
      records++;
      checksum += row.length;
    };
    decodeAll(chunks, (text) => {
      parser ??= udsv.initParser(udsv.inferSchema(text, { col: ',', row: '\n', encl: '"' }));
      parser.chunk<string[]>(text, parser.stringArrs, onData);
    });
    parser?.end();
    return { records, checksum };
  },
};

export const papaparseChunked: Candidate = {
  name: 'PapaParse 5.7.1 (whole text, step)',
  run(chunks) {
    let records = -1;
    let checksum = 0;
    // PapaParse's Node stream mode is much slower; parsing the whole text is its best case.
    const parts: string[] = [];
    decodeAll(chunks, (text) => parts.push(text));
    Papa.parse<string[]>(parts.join(''), {
      skipEmptyLines: true,
      step(result) {
        records++;
        checksum += result.data.length;
      },
    });
    return { records, checksum };
  },
};

export const csvParseStream: Candidate = {
  name: 'csv-parse 6.2.0 (stream API, arrays)',
  async run(chunks) {
    let records = -1;
    let checksum = 0;
    const parser = csvParse({ skip_empty_lines: true, relax_column_count: true });
    parser.on('data', (row: string[]) => {
      records++;
      checksum += row.length;
    });
    const done = new Promise<void>((resolve, reject) => {
      parser.on('end', resolve);
      parser.on('error', reject);
    });
    for (const chunk of chunks) {
      if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
    }
    parser.end();
    await done;
    return { records, checksum };
  },
};
