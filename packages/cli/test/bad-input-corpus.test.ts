/**
 * The bad-input corpus (issue 6): every file under fixtures/bad-input/ — and the parse corpus's files by
 * reference (`parse-corpus:`) — run through the built `bulkpipe validate` or `split`, each with its expected
 * outcome in fixtures/bad-input/cases.json: exit code, fatal error code and message, rejects by line and code,
 * warnings, and the batch as Target would decode it. Big inputs (a 10 MB field, 50,000 columns, a 1 GB stream
 * with an unbalanced quote) are generated here, not committed. Every case runs under a 256 MB heap cap and a
 * timeout: none may crash, hang or exhaust memory.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { runCase } from './bad-input-run.js';
import type { CaseOutcome } from './bad-input-run.js';
import { tempDir } from './run-cli.js';

const FIXTURES = fileURLToPath(new URL('fixtures/bad-input/', import.meta.url));
const PARSE_CORPUS = fileURLToPath(new URL('../../transforms/test/fixtures/parse/corpus/', import.meta.url));
/** Peak RSS any small case may reach (a bare CLI run is ~80 MB). */
const SMALL_CASE_MAX_RSS_MB = 200;

interface BadInputCase {
  file: string;
  why: string;
  command?: 'validate' | 'split';
  /** @default --id-column id --max-reject-rate 100% */
  args?: string[];
  exit: number;
  error?: string;
  /** A regular expression the error message must match. */
  message?: string;
  rejects?: [number, string][];
  warnings?: Record<string, number>;
  /** split: the first batch decoded as Target would (header first); [] = no batch written. */
  batch?: string[][];
  batchRows?: number;
  /** A known bug, named: the case runs as test.failing until it is fixed. */
  failing?: string;
}

const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as BadInputCase[];

/** At most two CLI processes at once: the machine has two cores, and each case is a whole Node process. */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function inputPath(file: string): string {
  return file.startsWith('parse-corpus:') ? join(PARSE_CORPUS, file.slice('parse-corpus:'.length)) : join(FIXTURES, file);
}

function checkOutcome(t: ExecutionContext, outcome: CaseOutcome, expected: Omit<BadInputCase, 'file' | 'why'>, maxRssMb: number): void {
  const context = `stderr:\n${outcome.stderr}`;
  t.is(outcome.killedBy, undefined, `neither killed nor timed out: ${context}`);
  t.is(outcome.exit, expected.exit, context);
  t.is(outcome.error, expected.error, context);
  if (expected.message !== undefined) t.regex(outcome.message ?? '', new RegExp(expected.message));
  t.deepEqual(outcome.rejects, expected.rejects ?? [], 'rejects: [line, code]');
  t.deepEqual(outcome.warnings, expected.warnings ?? {}, 'warnings by code');
  if (expected.batch !== undefined) t.deepEqual(outcome.batch, expected.batch, 'the batch as Target decodes it');
  if (expected.batchRows !== undefined) t.is((outcome.batch?.length ?? 1) - 1, expected.batchRows);
  t.true(outcome.maxRssMb > 0 && outcome.maxRssMb < maxRssMb, `peak RSS ${outcome.maxRssMb} MB`);
}

test('the corpus has at least 40 files of its own, every one with an expected outcome, and no parse-corpus file duplicated', (t) => {
  const own = new Set(readdirSync(FIXTURES).filter((name) => name !== 'cases.json'));
  t.true(own.size >= 40, `${own.size} files`);
  const covered = new Set(CASES.map((entry) => entry.file));
  t.deepEqual([...own].filter((name) => !covered.has(name)), [], 'files without an expected outcome');
  const parseFiles = new Set(readdirSync(PARSE_CORPUS));
  t.deepEqual([...own].filter((name) => parseFiles.has(name)), [], 'copies of parse-corpus files');
});


for (const entry of CASES) {
  const command = entry.command ?? 'validate';
  const title = `${entry.file} (${command}${entry.args ? ` ${entry.args.filter((arg) => arg.startsWith('--merge') || arg.startsWith('--on-') || arg === 'first' || arg === 'reject' || arg === 'replace').join(' ')}` : ''}): ${entry.why}`;
  const body = async (t: ExecutionContext): Promise<void> => {
    const out = command === 'split' ? join(tempDir('bulkpipe-bad-input-'), 'out') : undefined;
    const outcome = await limited(() => runCase(command, inputPath(entry.file), entry.args ?? ['--id-column', 'id', '--max-reject-rate', '100%'], out !== undefined ? { out } : {}));
    checkOutcome(t, outcome, entry, SMALL_CASE_MAX_RSS_MB);
  };
  if (entry.failing !== undefined) test.failing(`${title} — known bug: ${entry.failing}`, body);
  else test(title, body);
}

test('a directory, a missing file and a path through a file are usage errors naming the input', async (t) => {
  const dir = tempDir('bulkpipe-bad-input-');
  mkdirSync(join(dir, 'export.csv'));
  writeFileSync(join(dir, 'plain.csv'), 'id\nc-1\n');
  for (const input of [join(dir, 'export.csv'), join(dir, 'missing.csv'), join(dir, 'plain.csv', 'inside.csv')]) {
    const outcome = await limited(() => runCase('validate', input, ['--id-column', 'id']));
    t.is(outcome.exit, 2, outcome.stderr);
    t.is(outcome.error, 'BULKPIPE_INPUT_UNREADABLE');
    t.true(outcome.message?.includes(input), outcome.message);
  }
});

test('an unreadable file is a usage error (skipped as root, who reads everything)', async (t) => {
  if (process.getuid?.() === 0) {
    t.log('running as root: file permissions cannot make a file unreadable');
    t.pass();
    return;
  }
  const dir = tempDir('bulkpipe-bad-input-');
  const input = join(dir, 'secret.csv');
  writeFileSync(input, 'id\nc-1\n');
  chmodSync(input, 0o000);
  const outcome = await limited(() => runCase('validate', input, ['--id-column', 'id']));
  t.is(outcome.exit, 2, outcome.stderr);
  t.is(outcome.error, 'BULKPIPE_INPUT_UNREADABLE');
});

test('generated: a 10 MB field is rejected as a profile over 64 KB, with its line, in bounded memory', async (t) => {
  const input = join(tempDir('bulkpipe-bad-input-'), 'big-field.csv');
  writeFileSync(input, `id,notes\nc-0,small\nc-1,${'x'.repeat(10 * 1024 * 1024)}\nc-2,small\n`);
  const outcome = await limited(() => runCase('validate', input, ['--id-column', 'id', '--max-reject-rate', '100%']));
  checkOutcome(t, outcome, { exit: 0, rejects: [[3, 'BULKPIPE_PROFILE_TOO_LARGE']], warnings: { VALUE_LONG: 1 } }, 300);
});

test('generated: 50,000 columns — the over-full row is rejected, a sparse row is sent', async (t) => {
  const input = join(tempDir('bulkpipe-bad-input-'), 'wide.csv');
  const names = Array.from({ length: 49_999 }, (_, index) => `a${index}`);
  const full = names.map(() => '1').join(',');
  const sparse = names.map((_, index) => (index < 3 ? 'v' : '')).join(',');
  writeFileSync(input, `id,${names.join(',')}\nc-1,${full}\nc-2,${sparse}\n`);
  const out = join(tempDir('bulkpipe-bad-input-'), 'out');
  const outcome = await limited(() => runCase('split', input, ['--id-column', 'id', '--max-reject-rate', '100%'], { out }));
  checkOutcome(t, outcome, { exit: 0, rejects: [[2, 'BULKPIPE_PROFILE_TOO_LARGE']] }, 300);
  const [header, ...rows] = outcome.batch ?? [];
  t.is(rows.length, 1);
  t.deepEqual(rows[0]?.slice(0, 4), ['c-2', 'v', 'v', 'v']);
  t.is(header?.[0], 'thirdPartyId');
});

/** 1 GiB of CSV on demand: good rows, then at `quoteLine` a field that opens a quote and never closes it. */
function unbalancedStream(quoteLine: number, totalBytes: number): Readable & { produced: () => number } {
  let produced = 0;
  let line = 1;
  const filler = Buffer.from('c-filler,no quote on this line at all\n'.repeat(1024));
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      let chunk: Buffer;
      if (line === 1) chunk = Buffer.from('id,notes\n');
      else if (line < quoteLine) chunk = Buffer.from(`c-${line},fine\n`);
      else if (line === quoteLine) chunk = Buffer.from(`c-${line},"this quote never closes\n`);
      else chunk = filler;
      line += 1;
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return Object.assign(stream, { produced: () => produced });
}

test('generated: an unbalanced quote in a 1 GiB stream stops the run with the line where the record started, in bounded memory', async (t) => {
  const stream = unbalancedStream(1_000, 1024 ** 3);
  const outcome = await limited(() => runCase('validate', '-', ['--id-column', 'id', '--max-reject-rate', '100%'], { stdin: stream }));
  t.is(outcome.killedBy, undefined);
  t.is(outcome.exit, 1, outcome.stderr);
  t.true(outcome.error === 'BULKPIPE_UNCLOSED_QUOTE' || outcome.error === 'BULKPIPE_RECORD_TOO_LARGE', outcome.error);
  t.regex(outcome.message ?? '', /line 1000\b/);
  t.true(outcome.maxRssMb < 300, `peak RSS ${outcome.maxRssMb} MB`);
  t.log(`stopped after reading about ${Math.round(stream.produced() / 1024 ** 2)} MiB of the 1 GiB stream; peak RSS ${outcome.maxRssMb} MB`);
});

// Regression: in --json mode a run stopped by a data or configuration error inside the pipeline printed no
// `error` event (only failures outside the pipeline did), though docs/cli.md lists it among the events.
test('regression: --json prints an error event with the code when the pipeline stops on bad input', async (t) => {
  const outcome = await limited(() => runCase('validate', join(FIXTURES, 'missing-id-column.csv'), ['--id-column', 'id']));
  t.is(outcome.exit, 2);
  t.is(outcome.error, 'BULKPIPE_ID_COLUMN_MISSING');
  t.regex(outcome.message ?? '', /Id column "id" is not in the header/);
});
