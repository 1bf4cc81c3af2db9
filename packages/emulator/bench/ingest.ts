/**
 * Ingest throughput of the emulator: one ~49 MB, 300,000-row v2 batch POSTed over HTTP, then the time until
 * its status is `complete`. Run: `node --import=tsx bench/ingest.ts [rows] [--db file]` from packages/emulator.
 * Prints a markdown row; no assertion (speed belongs here, not in tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/index.js';

const rows = Number(process.argv[2] ?? 300_000);
const useFile = process.argv.includes('--db');

function buildBody(count: number): Buffer {
  const attributes = ['loyaltyTier', 'lifetimeValue', 'city', 'segment', 'lastOrder', 'preferences', 'note'];
  const lines = [`batch=thirdPartyId,${attributes.join(',')}`];
  const filler = 'x'.repeat(78); // ~49 MB for 300,000 rows, just under the 50 MB cap
  for (let i = 0; i < count; i++) {
    lines.push(
      [`c-${String(i).padStart(9, '0')}`, i % 3 === 0 ? 'gold' : 'silver', (i * 7.31).toFixed(2), 'M%C3%BCnchen', `seg-${i % 97}`, `2026-11-${String((i % 28) + 1).padStart(2, '0')}`, `pref%2Ba%26b-${i}`, `${filler}${i}`].join(','),
    );
  }
  return Buffer.from(lines.join('\n'));
}

const dir = useFile ? mkdtempSync(join(tmpdir(), 'bulkpipe-emu-bench-')) : undefined;
const body = buildBody(rows);
const emulator = await startEmulator(dir === undefined ? {} : { dbPath: join(dir, 'bench.db') });
try {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const response = await fetch(`${emulator.url}/m2/bench/v2/profile/batchUpdate`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const text = await response.text();
  const accepted = performance.now();
  const cpuAtAccept = process.cpuUsage(cpuBefore);
  const statusUrl = /<batchStatus>([^<]+)<\/batchStatus>/.exec(text)?.[1];
  if (statusUrl === undefined) throw new Error(`batch refused: ${text}`);
  await emulator.waitForIdle();
  const done = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const applyCpuSeconds = cpuSeconds - (cpuAtAccept.user + cpuAtAccept.system) / 1e6;
  const status = await (await fetch(`${statusUrl}&showDetails=true`)).text();
  const ok = status.includes('<status>complete</status>') && status.includes(`<successfulUpdates>${rows}</successfulUpdates>`);
  const seconds = (done - started) / 1000;
  const applySeconds = (done - accepted) / 1000;
  // the machine is shared: CPU seconds (client and server are this one process) are steadier than wall time
  console.log(`| rows | body MB | storage | POST answered ms | applied after s | total s | rows/s (wall) | rows/s applying | CPU s (all) | CPU s applying | rows per CPU s applying | complete |`);
  console.log(`|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  console.log(
    `| ${rows} | ${(body.length / 1e6).toFixed(1)} | ${useFile ? 'file (WAL)' : 'memory'} | ${Math.round(accepted - started)} | ${applySeconds.toFixed(2)} | ${seconds.toFixed(2)} | ${Math.round(rows / seconds)} | ${Math.round(rows / applySeconds)} | ${cpuSeconds.toFixed(2)} | ${applyCpuSeconds.toFixed(2)} | ${Math.round(rows / applyCpuSeconds)} | ${ok} |`,
  );
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
} finally {
  await emulator.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
