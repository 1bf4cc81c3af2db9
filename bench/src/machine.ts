/** What the results were measured on: machine, OS, Node, package versions, commit. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly ramGb: number;
  readonly os: string;
  readonly node: string;
  readonly commit: string;
  /** 1-minute load average when the runs ended: the machine is shared, and this says how busy it was. */
  readonly loadAverage: number;
  /** name → version, for the packages whose speed is being measured. */
  readonly versions: Readonly<Record<string, string>>;
}

export async function describeMachine(repoRoot: string, benchDir: string): Promise<MachineInfo> {
  const versions: Record<string, string> = {};
  for (const [name, manifest] of [
    ['@bulkpipe/cli', join(repoRoot, 'packages/cli/package.json')],
    ['@bulkpipe/transforms', join(repoRoot, 'packages/transforms/package.json')],
    ['udsv', join(repoRoot, 'bench/node_modules/udsv/package.json')],
    ['csv-parse', join(benchDir, 'node_modules/csv-parse/package.json')],
  ] as const) {
    const version = await readVersion(manifest);
    if (version !== undefined) versions[name] = version;
  }
  const miller = await firstLine('mlr', ['--version']);
  if (miller !== undefined) versions.miller = miller.replace(/^mlr\s+/, '');
  const commit = (await firstLine('git', ['rev-parse', '--short', 'HEAD'], repoRoot)) ?? 'unknown';
  const dirty = (await firstLine('git', ['status', '--porcelain', '--untracked-files=no'], repoRoot)) !== undefined;
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGb: Math.round(totalmem() / 2 ** 30),
    os: `${(await osName()) ?? process.platform} (kernel ${release()})`,
    node: process.version,
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
    loadAverage: loadavg()[0] ?? 0,
    versions,
  };
}

async function readVersion(manifest: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

async function osName(): Promise<string | undefined> {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(await readFile('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function firstLine(file: string, args: string[], cwd?: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(file, args, cwd === undefined ? {} : { cwd });
    const line = stdout.trim().split('\n')[0];
    return line === '' ? undefined : line;
  } catch {
    return undefined;
  }
}
