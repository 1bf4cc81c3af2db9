/**
 * Runs one timed command in a child process and measures its wall time and peak RSS.
 * Node children get peak-rss-preload.mjs (exact, from the kernel's rusage of the process); other programs
 * run under GNU time when it is installed, else their /proc VmHWM is sampled (Linux), else RSS is unknown.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandSpec } from './benchmark.js';

const PRELOAD_URL = pathToFileURL(fileURLToPath(new URL('./peak-rss-preload.mjs', import.meta.url))).href;
const GNU_TIME = '/usr/bin/time';
const OUTPUT_TAIL_CHARS = 64 * 1024;
const VMHWM_SAMPLE_MS = 20;

export interface Measurement {
  readonly wallMs: number;
  /** Peak resident set size in bytes, undefined when it could not be measured. */
  readonly peakRssBytes: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last 64 KB of each stream. */
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly cwd: string;
  /** Scratch directory for the RSS file. */
  readonly scratchDir: string;
  /** Kill the child after this long. @default 1_800_000 */
  readonly timeoutMs?: number;
}

export async function runCommand(spec: CommandSpec, options: RunCommandOptions): Promise<Measurement> {
  const rssFile = join(options.scratchDir, `peak-rss-${process.pid}-${Date.now()}.txt`);
  await rm(rssFile, { force: true });
  const env = { ...process.env, ...spec.env, BENCH_PEAK_RSS_FILE: rssFile };
  let file: string;
  let args: string[];
  let sampleProc = false;
  if (spec.kind === 'node') {
    file = process.execPath;
    args = ['--import', PRELOAD_URL, ...spec.args];
  } else if (await hasGnuTime()) {
    file = GNU_TIME;
    args = ['-f', '%M', '-o', rssFile, spec.file, ...spec.args];
  } else {
    file = spec.file;
    args = [...spec.args];
    sampleProc = true;
  }

  const started = performance.now();
  const child = spawn(file, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout = (stdout + text).slice(-OUTPUT_TAIL_CHARS)));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-OUTPUT_TAIL_CHARS)));
  let sampledPeak: number | undefined;
  const sampler = sampleProc && child.pid !== undefined ? sampleVmHwm(child.pid, (bytes) => (sampledPeak = bytes)) : undefined;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 1_800_000);
  const [exitCode, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  if (sampler !== undefined) clearInterval(sampler);

  let peakRssBytes = sampledPeak;
  if (!sampleProc) {
    const text = await readFile(rssFile, 'utf8').catch(() => undefined);
    const value = text === undefined ? Number.NaN : Number(text.trim().split('\n').pop());
    // GNU time reports kilobytes; the preload writes bytes.
    if (Number.isFinite(value)) peakRssBytes = spec.kind === 'node' ? value : value * 1024;
    await rm(rssFile, { force: true });
  }
  return { wallMs, peakRssBytes, exitCode, signal, stdout, stderr };
}

let gnuTime: Promise<boolean> | undefined;
function hasGnuTime(): Promise<boolean> {
  gnuTime ??= access(GNU_TIME, constants.X_OK).then(
    () => true,
    () => false,
  );
  return gnuTime;
}

/** VmHWM is the kernel's own high-water mark, so sampling only has to catch it before the process exits. */
function sampleVmHwm(pid: number, onPeak: (bytes: number) => void): NodeJS.Timeout {
  return setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (status) => {
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match?.[1] !== undefined) onPeak(Number(match[1]) * 1024);
      },
      () => undefined,
    );
  }, VMHWM_SAMPLE_MS);
}
