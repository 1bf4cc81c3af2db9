import { invalidOption } from './errors.js';
import type { FaultRuleInput } from './faults.js';
import { checkSettingsPatch } from './settings.js';
import type { ClientSettings } from './settings.js';

/** How to start an emulator. Every field is optional. */
export interface EmulatorOptions {
  /** Interface to bind. Anything but loopback exposes the admin API to the network. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** SQLite file for persistent state, or `:memory:`. @default ':memory:' */
  dbPath?: string;
  /** Seed of every random choice (fault probabilities, dropped rows, generated TNT ids). @default 1 */
  seed?: number;
  /** The emulator's clock in epoch milliseconds (rate-limit window, TTLs, expiries, timestamps). @default Date.now */
  clock?: () => number;
  /** Base URL used in returned status URLs; by default the request's Host header on http. */
  publicUrl?: string;
  /** Settings for every client (see `ClientSettings`). */
  settings?: Partial<ClientSettings>;
  /** Per-client-code settings, over `settings`. */
  clients?: Record<string, Partial<ClientSettings>>;
  /** Fault rules active from the start: objects or CLI spec strings (`status:code=503,times=3`). */
  faults?: ReadonlyArray<FaultRuleInput | string>;
  /** Batch rows applied per SQLite transaction (and between event-loop yields). @default 10000 */
  chunkRows?: number;
  /** How many Target calls the request log keeps. @default 1000 */
  requestLogSize?: number;
  /** Serve the `/_emulator/…` admin API. @default true */
  adminApi?: boolean;
  /** One line per request (method, path, status, duration); never headers or tokens. @default none */
  log?: (line: string) => void;
}

export interface ResolvedEmulatorOptions {
  readonly host: string;
  readonly port: number;
  readonly dbPath: string;
  readonly seed: number;
  readonly clock: () => number;
  readonly publicUrl: string | undefined;
  readonly settings: Readonly<Partial<ClientSettings>>;
  readonly clients: Readonly<Record<string, Readonly<Partial<ClientSettings>>>>;
  readonly faults: ReadonlyArray<FaultRuleInput | string>;
  readonly chunkRows: number;
  readonly requestLogSize: number;
  readonly adminApi: boolean;
  readonly log: ((line: string) => void) | undefined;
}

/** Validates once and returns a frozen normalized copy; the caller's object is never touched. */
export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalidOption('host', 'a host name or address', host);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidOption('port', 'an integer 0-65535', port);
  const dbPath = options.dbPath ?? ':memory:';
  if (typeof dbPath !== 'string' || dbPath === '') throw invalidOption('dbPath', 'a file path or ":memory:"', dbPath);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw invalidOption('seed', 'an integer', seed);
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw invalidOption('clock', 'a function returning epoch milliseconds', clock);
  if (options.publicUrl !== undefined) {
    try {
      new URL(options.publicUrl);
    } catch {
      throw invalidOption('publicUrl', 'an absolute URL', options.publicUrl);
    }
  }
  const clients: Record<string, Readonly<Partial<ClientSettings>>> = {};
  for (const [client, patch] of Object.entries(options.clients ?? {})) clients[client] = checkSettingsPatch(patch, `clients.${client}`);
  const chunkRows = options.chunkRows ?? 10_000;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw invalidOption('chunkRows', 'a positive integer', chunkRows);
  const requestLogSize = options.requestLogSize ?? 1000;
  if (!Number.isSafeInteger(requestLogSize) || requestLogSize < 0) throw invalidOption('requestLogSize', 'a non-negative integer', requestLogSize);
  if (options.log !== undefined && typeof options.log !== 'function') throw invalidOption('log', 'a function', options.log);
  return Object.freeze({
    host,
    port,
    dbPath,
    seed,
    clock,
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    settings: checkSettingsPatch(options.settings, 'settings'),
    clients: Object.freeze(clients),
    faults: Object.freeze([...(options.faults ?? [])]),
    chunkRows,
    requestLogSize,
    adminApi: options.adminApi ?? true,
    log: options.log,
  });
}
