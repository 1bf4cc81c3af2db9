/**
 * One measured side of the ingest benchmark, in its own process so neither side's heap or JIT state
 * touches the other, and so the emulator's CPU time is its own (the HTTP client is the parent process).
 *
 * - `emulator [--db file]`: starts the emulator; answers the parent's `{ wait: true }` once the batch is applied.
 * - `baseline [--db file] rows`: the plain SQLite insert loop — the emulator's own schema, one prepared
 *   single-row INSERT per row in transactions of 10,000 rows, of rows already decoded and serialized
 *   outside the timing. It is what storing these rows costs without HTTP, decoding or any emulator logic.
 */
import { Store } from '../src/store.js';
import { startEmulator } from '../src/index.js';
import { ATTRIBUTES, decodedRow } from './ingest-body.js';

export interface ChildReport {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rows: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const [mode, ...rest] = process.argv.slice(2);
const dbAt = rest.indexOf('--db');
const dbPath = dbAt === -1 ? ':memory:' : rest[dbAt + 1]!;
const send = (message: unknown): void => void process.send!(message);

if (mode === 'emulator') {
  // no rate limit: this measures ingest, and the parent's status check must not be refused
  const emulator = await startEmulator({ dbPath, settings: { rateLimitCalls: 0 } });
  let cpuAtReady = process.cpuUsage();
  process.on('message', (message: { start?: true; wait?: true; close?: true }) => {
    if (message.start) {
      cpuAtReady = process.cpuUsage();
      send({ started: true });
    } else if (message.wait) {
      void emulator.waitForIdle().then(() => send({ idle: true, cpuMs: cpuMs(cpuAtReady) }));
    } else if (message.close) {
      void emulator.close().then(() => process.exit(0));
    }
  });
  send({ url: emulator.url });
} else if (mode === 'baseline') {
  const rows = Number(rest.find((arg) => /^\d+$/.test(arg)) ?? 300_000);
  const store = new Store(dbPath);
  const now = Date.now();
  const batchId = 'bench-baseline-1';
  const params: unknown[][] = [];
  for (let i = 0; i < rows; i++) {
    const { id, values } = decodedRow(i);
    const attrs = JSON.stringify(values.flatMap((value, column) => [ATTRIBUTES[column], value, 1, 0]));
    const tntId = `0000beef${(i + 1).toString(16).padStart(24, '0')}.28_0`;
    const bytes = values.reduce((sum, value, column) => sum + Buffer.byteLength(ATTRIBUTES[column]!) + Buffer.byteLength(value), 0);
    params.push(['bench', tntId, id, null, attrs, bytes, now, now, now, batchId]);
  }
  const insert = store.db.prepare(
    'INSERT INTO profiles (client, tnt_id, third_party_id, ecid, attrs, data_bytes, created_at, modified_at, active_at, v2_batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const chunk = store.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(params[i]!);
  });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let from = 0; from < rows; from += 10_000) chunk(from, Math.min(rows, from + 10_000));
  const report: ChildReport = { ms: performance.now() - started, cpuMs: cpuMs(cpuBefore), rows: store.countProfiles('bench') };
  store.close();
  send(report);
  process.disconnect();
} else {
  throw new Error(`unknown mode ${String(mode)}: emulator or baseline`);
}
