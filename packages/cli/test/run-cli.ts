/** Test helpers: run the built `bulkpipe` binary as a user would, and read its outputs. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestFn } from 'ava';

export const BIN = fileURLToPath(new URL('../bundle/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin);
  });
}

export function tempDir(prefix = 'bulkpipe-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A generated export of `rows` rows (`bulkpipe sample`) in a temporary folder of the test file's own: made before
 * the file's tests, removed after them. `input` is the export, `work` the folder.
 */
export function sampleExportFixture(test: TestFn, rows: number, prefix: string): { work: string; input: string } {
  const work = tempDir(prefix);
  const input = join(work, 'export.csv');
  test.after.always(() => rmSync(work, { recursive: true, force: true }));
  test.before(async () => {
    const made = await runCli(['sample', '--rows', String(rows), '--out', input]);
    if (made.code !== 0) throw new Error(made.stderr);
  });
  return { work, input };
}

/** The batch files and rejects.csv of an output folder, by name, as latin1 text (to compare two runs). */
export function batchOutputs(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((name) => name.startsWith('batch-') || name === 'rejects.csv')) files[file] = readFileSync(join(dir, file), 'latin1');
  return files;
}

/**
 * Decodes a batch body the way TARGET-API.md says Target does, independently of bulkpipe's encoder:
 * strip `batch=`, split on LF and `,`, then form-decode each cell once (`+` → space, %XX).
 */
export function decodeBatchBody(body: string): { header: string[]; rows: string[][] } {
  if (!body.startsWith('batch=')) throw new Error('body does not start with batch=');
  const decode = (cell: string): string => decodeURIComponent(cell.replace(/\+/g, ' '));
  const lines = body.slice('batch='.length).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const [header = '', ...rows] = lines;
  return { header: header.split(',').map(decode), rows: rows.map((line) => line.split(',').map(decode)) };
}

export interface ManifestJson {
  batches: { file: string; rows: number; bytes: number; sha256: string; firstLine: number; lastLine: number }[];
  summary: { counters: { read: number; rejected: number; merged: number; sent: number; batches: number }; booksBalance: boolean };
}

export function readManifest(dir: string): ManifestJson {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ManifestJson;
}
