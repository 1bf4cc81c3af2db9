/** Every parse case of the bad-input corpus: no crash, no hang, the expected error or records and rejects. */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { isBulkpipeError } from '@bulkpipe/core';
import { PARSE_CORPUS } from './fixtures/parse/corpus.js';
import { parseAll } from './fixtures/parse/helpers.js';

const corpusDir = fileURLToPath(new URL('./fixtures/parse/corpus/', import.meta.url));

for (const { file, why, expect } of PARSE_CORPUS) {
  test(`corpus ${file}: ${why}`, async (t) => {
    const path = `${corpusDir}${file}`;
    if ('error' in expect) {
      const error = await t.throwsAsync(parseAll(path));
      t.true(isBulkpipeError(error), String(error));
      t.is((error as { code?: string }).code, expect.error);
      if (expect.line !== undefined) t.is((error as { context?: { line?: number } }).context?.line, expect.line);
      if (expect.message !== undefined) t.regex(error?.message ?? '', expect.message);
      return;
    }
    const { records, rejects } = await parseAll(path);
    t.deepEqual(
      records.map((record) => record.line),
      expect.lines,
    );
    t.deepEqual(
      rejects.map(({ line, code }) => ({ line, code })),
      expect.rejects ?? [],
    );
    if (expect.columns !== undefined) t.deepEqual(records[0]?.columns, expect.columns);
    if (expect.fields !== undefined) t.true(records.some((record) => JSON.stringify(record.fields) === JSON.stringify(expect.fields)));
  });
}
