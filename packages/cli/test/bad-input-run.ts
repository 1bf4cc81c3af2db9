/**
 * Runs one bad-input case through the built `bulkpipe` as a user would, with a memory cap and a timeout, and
 * boils the outcome down to what the corpus's expectations name: exit code, fatal error, rejects by line and
 * code, warnings by code, the batch as Target would decode it (split), and the child's peak RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BIN, decodeBatchBody } from './run-cli.js';

/** V8 heap cap of every case: a case that needs more crashes instead of passing. */
export const MAX_OLD_SPACE_MB = 256;
export const CASE_TIMEOUT_MS = 60_000;

// Printed by the child at exit, so the parent learns its peak RSS without any platform tool.
const REPORT_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nBAD_INPUT_MAXRSS_KB='+process.resourceUsage().maxRSS+'\\n'))`;

export interface CaseOutcome {
  exit: number | null;
  /** A signal or the timeout, when the child did not exit by itself. */
  killedBy?: string;
  error?: string;
  message?: string;
  rejects: [number, string][];
  warnings: Record<string, number>;
  batch?: string[][];
  maxRssMb: number;
  stderr: string;
}

interface JsonEvent {
  event: string;
  line?: number;
  code?: string;
  message?: string;
  warningsByCode?: Record<string, { count: number }>;
}

export function runCase(command: 'validate' | 'split', input: string, args: readonly string[], options: { out?: string; stdin?: Readable } = {}): Promise<CaseOutcome> {
  const argv = [`--max-old-space-size=${MAX_OLD_SPACE_MB}`, `--import=${REPORT_RSS}`, BIN, command, input, ...args, '--json', ...(options.out !== undefined ? ['--out', options.out] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedBy: string | undefined;
    const timer = setTimeout(() => {
      killedBy = 'timeout';
      child.kill('SIGKILL');
    }, CASE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => {}); // the CLI may stop reading stdin early (an error): that is fine
    // a stdin the CLI stopped reading ends the pipeline with EPIPE or a premature close: expected, not a failure
    if (options.stdin !== undefined) pipeline(options.stdin, child.stdin).catch(() => {});
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.stdin?.destroy();
      const events = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as JsonEvent);
      const error = events.find((event) => event.event === 'error');
      const summary = events.find((event) => event.event === 'summary');
      const rss = /BAD_INPUT_MAXRSS_KB=(\d+)/.exec(stderr);
      const outcome: CaseOutcome = {
        exit: code,
        rejects: events.filter((event) => event.event === 'reject').map((event) => [event.line!, event.code!]),
        warnings: Object.fromEntries(Object.entries(summary?.warningsByCode ?? {}).map(([name, tally]) => [name, tally.count])),
        maxRssMb: rss === null ? -1 : Math.round(Number(rss[1]) / 1024),
        stderr: stderr.replace(/\nBAD_INPUT_MAXRSS_KB=\d+\n/, ''),
      };
      if (killedBy !== undefined || signal !== null) outcome.killedBy = killedBy ?? signal!;
      if (error?.code !== undefined) outcome.error = error.code;
      if (error?.message !== undefined) outcome.message = error.message;
      if (command === 'split' && options.out !== undefined && code === 0) {
        try {
          const { header, rows } = decodeBatchBody(readFileSync(join(options.out, 'batch-00001.txt'), 'utf8'));
          outcome.batch = [header, ...rows];
        } catch {
          outcome.batch = [];
        }
      }
      resolve(outcome);
    });
  });
}
