import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, serveAdmin } from './admin-routes.js';
import { EmulatorState } from './emulator-state.js';
import type { BatchInfo, ProfileKey, RequestLogEntry } from './emulator-state.js';
import type { FaultRule, FaultRuleInput } from './faults.js';
import { jsonAnswer, send, xmlAnswer } from './http-util.js';
import { resolveEmulatorOptions } from './options.js';
import type { EmulatorOptions } from './options.js';
import type { MboxCallInput, MboxCallResult, ProfileDocument } from './profiles.js';
import type { ClientSettings } from './settings.js';
import { matchTargetRoute, serveTarget } from './target-routes.js';
import { xmlFailure } from './xml.js';

/** A running emulator: its address, and programmatic versions of the admin API for tests and CI. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting calls, closes open connections, stops processing after the current chunk, closes the database. */
  close(): Promise<void>;
  /** The emulator's current time (epoch ms). */
  now(): number;
  /** Moves the emulator's time forward; returns the new time. */
  advanceClock(ms: number): number;
  settingsFor(client: string): Readonly<ClientSettings>;
  /** Changes the settings of every client (not persisted). */
  configure(settings: Partial<ClientSettings>): Readonly<ClientSettings>;
  /** Changes one client's settings (persisted with `dbPath`). */
  configureClient(client: string, settings: Partial<ClientSettings>): Readonly<ClientSettings>;
  /** A new profile API token for the client; the previous one stops working. */
  generateToken(client: string, options?: { expiresInMs?: number | null }): { token: string; expiresAt: number | null };
  revokeToken(client: string): void;
  addFault(rule: FaultRuleInput | string): FaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): Array<FaultRule & { matched: number; fired: number }>;
  simulateMboxCall(client: string, input: MboxCallInput): MboxCallResult;
  /** The fetch API's document for a live profile, or undefined. */
  getProfile(client: string, key: ProfileKey): ProfileDocument | undefined;
  batch(batchId: string): BatchInfo | undefined;
  listBatches(client: string, limit?: number): BatchInfo[];
  markBatchStuck(batchId: string): boolean;
  forgetBatch(batchId: string): boolean;
  pauseProcessing(): void;
  resumeProcessing(): void;
  /** Resolves when every queued batch and update has been applied (or stuck). */
  waitForIdle(): Promise<void>;
  /** The last Target calls (method, path, endpoint, client, status, fired fault ids). */
  calls(): RequestLogEntry[];
  /** Forgets profiles, batches, windows and the call log; `everything` also forgets client settings and tokens. */
  reset(options?: { everything?: boolean }): void;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Starts a Target-compatible emulator (see docs/emulator.md). Resolves once it listens.
 *
 * @example
 * const emulator = await startEmulator({ settings: { processingDelayMs: 0 } });
 * await fetch(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', body: 'batch=thirdPartyId,tier\nc-1,gold' });
 * await emulator.waitForIdle();
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveEmulatorOptions(options);
  const state = new EmulatorState(resolved);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    res.on('finish', () => resolved.log?.(`${req.method} ${url.pathname} ${res.statusCode} ${Math.round(performance.now() - started)}ms`));
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    if (resolved.adminApi && url.pathname.startsWith(ADMIN_PREFIX)) return serveAdmin(state, req, res, url);
    const route = matchTargetRoute(url.pathname, url.searchParams);
    if (route === 'bad-request') return send(req, res, jsonAnswer(400, { status: 400, message: 'Bad request: missing client or malformed path' }));
    if (route === undefined) return send(req, res, xmlAnswer(404, xmlFailure(`No such endpoint: ${req.method} ${url.pathname}`)));
    return serveTarget(state, route, req, res, url);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      resolved.log?.(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      send(req, res, xmlAnswer(500, xmlFailure('Unexpected error')));
    });
  });
  // a batch upload can be slow; Node's default 5-minute request timeout stays, headers must come quickly
  server.headersTimeout = 60_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await state.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  if (!isLoopback(resolved.host)) resolved.log?.(`warning: listening on ${resolved.host}, not loopback: the admin API and tokens are reachable from the network`);

  let closing: Promise<void> | undefined;
  return {
    url,
    host: address.address,
    port: address.port,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await state.close();
      })();
      return closing;
    },
    now: () => state.now(),
    advanceClock: (ms) => state.advanceClock(ms),
    settingsFor: (client) => state.settingsFor(client),
    configure: (settings) => state.configure(settings),
    configureClient: (client, settings) => state.configureClient(client, settings),
    generateToken: (client, tokenOptions) => state.generateToken(client, tokenOptions),
    revokeToken: (client) => state.revokeToken(client),
    addFault: (rule) => state.addFault(rule),
    removeFault: (id) => state.removeFault(id),
    clearFaults: () => state.clearFaults(),
    faults: () => state.faults.list(),
    simulateMboxCall: (client, input) => state.simulateMboxCall(client, input),
    getProfile: (client, key) => state.getProfile(client, key),
    batch: (batchId) => state.batch(batchId),
    listBatches: (client, limit) => state.listBatches(client, limit),
    markBatchStuck: (batchId) => state.markBatchStuck(batchId),
    forgetBatch: (batchId) => state.forgetBatch(batchId),
    pauseProcessing: () => state.processor.pause(),
    resumeProcessing: () => state.processor.resume(),
    waitForIdle: () => state.processor.waitForIdle(),
    calls: () => state.calls(),
    reset: (resetOptions) => state.reset(resetOptions),
  };
}
