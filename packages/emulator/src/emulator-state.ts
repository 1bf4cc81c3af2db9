import { checkToken, newToken, tokenHash } from './auth.js';
import type { TokenCheck } from './auth.js';
import { invalidOption } from './errors.js';
import { FaultEngine } from './faults.js';
import type { FaultRule, FaultRuleInput } from './faults.js';
import { fnv1a32 } from './hash.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { BatchProcessor } from './processor.js';
import { isExpired, profileDocument, simulateMboxCall } from './profiles.js';
import type { MboxCallInput, MboxCallResult, ProfileDocument } from './profiles.js';
import { RateLimiter } from './rate-limiter.js';
import { checkSettingsPatch, effectiveSettings } from './settings.js';
import type { ClientSettings } from './settings.js';
import { Store } from './store.js';
import type { BatchRecord, BatchState, ProfileRecord } from './store.js';

/** One Target call as the request log keeps it: no headers, no query string, no body. */
export interface RequestLogEntry {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly endpoint: string;
  readonly client: string;
  readonly status: number | 'reset';
  readonly faults: readonly string[];
}

/** A batch as the admin API and the programmatic API show it. */
export interface BatchInfo {
  batchId: string;
  client: string;
  version: 1 | 2;
  idType: string;
  status: BatchState;
  batchSize: number;
  consumedCount: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
  /** Rows silently dropped by a `drop-rows` fault (counted in successfulUpdates, like Target's loss). */
  droppedRows: number;
  failedIds: string[];
  createdAt: string;
  completedAt: string | null;
  statusUrl: string;
  /** Whether batchStatus still knows it (retention, forget-status). */
  known: boolean;
  /** Hex SHA-256 of the request body as received (null for batches stored before it was recorded). */
  bodySha256: string | null;
}

export type ProfileKey = { thirdPartyId: string } | { tntId: string } | { ecid: string };

/** Everything a running emulator holds, and the programmatic operations on it. */
export class EmulatorState {
  readonly options: ResolvedEmulatorOptions;
  readonly store: Store;
  readonly faults: FaultEngine;
  readonly limiter = new RateLimiter();
  readonly processor: BatchProcessor;
  readonly #requestLog: RequestLogEntry[] = [];
  readonly #settingsCache = new Map<string, Readonly<ClientSettings>>();
  #globalPatch: Readonly<Partial<ClientSettings>>;
  #clockOffsetMs = 0;
  #batchCounter = 0;

  constructor(options: ResolvedEmulatorOptions) {
    this.options = options;
    this.store = new Store(options.dbPath);
    this.store.markOrphanedBatchesStuck();
    this.#globalPatch = options.settings;
    this.faults = new FaultEngine(options.seed);
    for (const fault of options.faults) this.faults.add(fault);
    this.processor = new BatchProcessor({ store: this.store, chunkRows: options.chunkRows, seed: options.seed, now: () => this.now() });
    this.#batchCounter = Number(this.store.meta('batchCounter') ?? '0');
  }

  /** The emulator's time: the injected clock plus any admin advance. */
  now(): number {
    return this.options.clock() + this.#clockOffsetMs;
  }

  /** Moves the emulator's time forward (TTL, token expiry, rate window, status retention). Returns the new now. */
  advanceClock(ms: number): number {
    if (!Number.isSafeInteger(ms) || ms < 0) throw invalidOption('advanceMs', 'a non-negative integer of milliseconds', ms);
    this.#clockOffsetMs += ms;
    return this.now();
  }

  settingsFor(client: string): Readonly<ClientSettings> {
    let settings = this.#settingsCache.get(client);
    if (settings === undefined) {
      const stored = this.store.client(client);
      const storedPatch = stored === undefined ? {} : checkSettingsPatch(JSON.parse(stored.settings), `clients.${client}`);
      settings = effectiveSettings(this.#globalPatch, this.options.clients[client] ?? {}, storedPatch);
      this.#settingsCache.set(client, settings);
    }
    return settings;
  }

  /** Changes the settings of every client (in memory, for this process). */
  configure(patch: Partial<ClientSettings>): Readonly<ClientSettings> {
    const checked = checkSettingsPatch(patch, 'settings');
    this.#globalPatch = Object.freeze({ ...this.#globalPatch, ...checked });
    this.#settingsCache.clear();
    return effectiveSettings(this.#globalPatch);
  }

  /** Changes one client's settings; persisted in the database with its tokens. */
  configureClient(client: string, patch: Partial<ClientSettings>): Readonly<ClientSettings> {
    const checked = checkSettingsPatch(patch, `clients.${client}`);
    const stored = this.store.client(client);
    const previous = stored === undefined ? {} : (JSON.parse(stored.settings) as Partial<ClientSettings>);
    this.store.saveClientSettings(client, JSON.stringify({ ...previous, ...checked }));
    this.#settingsCache.delete(client);
    return this.settingsFor(client);
  }

  /** The global defaults and each client's stored overrides. */
  settingsOverview(): { defaults: Readonly<ClientSettings>; clients: Record<string, unknown> } {
    const clients: Record<string, unknown> = {};
    for (const [client, patch] of Object.entries(this.options.clients)) clients[client] = { ...patch };
    for (const record of this.store.allClients()) clients[record.client] = { ...(clients[record.client] as object | undefined), ...(JSON.parse(record.settings) as object) };
    return { defaults: effectiveSettings(this.#globalPatch), clients };
  }

  /**
   * Generates the client's profile API token; the previous one stops working at once (TARGET-API.md §5).
   * `expiresInMs` overrides the client's `tokenTtlMs` (null = never). The token is returned, never stored.
   */
  generateToken(client: string, options: { expiresInMs?: number | null } = {}): { token: string; expiresAt: number | null } {
    const ttl = options.expiresInMs === undefined ? this.settingsFor(client).tokenTtlMs : options.expiresInMs;
    if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl < 1)) throw invalidOption('expiresInMs', 'a positive integer of milliseconds or null', ttl);
    const token = newToken();
    const now = this.now();
    const expiresAt = ttl === null ? null : now + ttl;
    this.store.setToken(client, tokenHash(token), expiresAt, now);
    return { token, expiresAt };
  }

  revokeToken(client: string): void {
    this.store.setToken(client, null, null, null);
  }

  checkAuth(client: string, presented: string | undefined): TokenCheck {
    const record = this.store.client(client);
    return checkToken(presented, record?.token_hash, record?.token_expires_at, this.now());
  }

  addFault(rule: FaultRuleInput | string): FaultRule {
    return this.faults.add(rule);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Simulates an mbox call for a visitor (ends the v2 override window, refreshes the TTL, may create the profile). */
  simulateMboxCall(client: string, input: MboxCallInput): MboxCallResult {
    for (const key of ['thirdPartyId', 'tntId', 'ecid'] as const) {
      const value = input[key];
      if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalidOption(`mbox.${key}`, 'a non-empty string', value);
    }
    if (input.thirdPartyId === undefined && input.tntId === undefined && input.ecid === undefined) {
      throw invalidOption('mbox', 'at least one of thirdPartyId, tntId, ecid', input);
    }
    if (input.profile !== undefined && (typeof input.profile !== 'object' || input.profile === null || Object.values(input.profile).some((value) => typeof value !== 'string'))) {
      throw invalidOption('mbox.profile', 'an object of string values', input.profile);
    }
    return this.store.transaction(() => simulateMboxCall(this.store, client, input, this.now(), this.settingsFor(client), this.options.seed));
  }

  /** A live profile by any of its ids, or undefined (expired profiles are not found). */
  findProfile(client: string, key: ProfileKey): ProfileRecord | undefined {
    const profile =
      'thirdPartyId' in key ? this.store.profileByThirdParty(client, key.thirdPartyId) : 'tntId' in key ? this.store.profileByTnt(client, key.tntId) : this.store.profileByEcid(client, key.ecid);
    if (profile === undefined || isExpired(profile, this.now(), this.settingsFor(client))) return undefined;
    return profile;
  }

  /** The fetch API's document for a profile, or undefined. */
  getProfile(client: string, key: ProfileKey): ProfileDocument | undefined {
    const profile = this.findProfile(client, key);
    if (profile === undefined) return undefined;
    const visitorId = 'thirdPartyId' in key ? key.thirdPartyId : 'tntId' in key ? key.tntId : key.ecid;
    return profileDocument(profile, visitorId);
  }

  /** A new batchId shaped like Target's: `<client>-<epoch ms>-<8 digits>`. */
  nextBatchId(client: string, now: number): string {
    for (;;) {
      this.#batchCounter += 1;
      const digits = 10_000_000 + (fnv1a32(`${this.options.seed}:${this.#batchCounter}`) % 90_000_000);
      const batchId = `${client}-${now}-${digits}`;
      if (this.store.batch(batchId) === undefined) {
        this.store.setMeta('batchCounter', String(this.#batchCounter));
        return batchId;
      }
    }
  }

  /** Whether batchStatus still answers for the batch (status retention, forget-status). */
  isBatchKnown(record: BatchRecord, now: number): boolean {
    const settings = this.settingsFor(record.client);
    if (now - record.created_at >= settings.statusRetentionMs) return false;
    if (record.forget_at !== null && now >= record.forget_at) return false;
    if (settings.statusRetentionCount !== null && !this.store.newestBatchIds(record.client, settings.statusRetentionCount).has(record.batch_id)) return false;
    return true;
  }

  batch(batchId: string): BatchInfo | undefined {
    const record = this.store.batch(batchId);
    return record === undefined ? undefined : this.batchInfo(record);
  }

  batchInfo(record: BatchRecord): BatchInfo {
    return {
      batchId: record.batch_id,
      client: record.client,
      version: record.version,
      idType: record.id_type,
      status: record.status,
      batchSize: record.batch_size,
      consumedCount: record.consumed,
      successfulUpdates: record.successful,
      profilesNotFound: record.not_found,
      failedUpdates: record.failed,
      droppedRows: record.dropped,
      failedIds: JSON.parse(record.failed_ids) as string[],
      createdAt: new Date(record.created_at).toISOString(),
      completedAt: record.completed_at === null ? null : new Date(record.completed_at).toISOString(),
      statusUrl: record.status_url,
      known: this.isBatchKnown(record, this.now()),
      bodySha256: record.body_sha256,
    };
  }

  listBatches(client: string, limit = 100): BatchInfo[] {
    return this.store.listBatches(client, limit).map((record) => this.batchInfo(record));
  }

  /** Makes a batch `stuck` (if still queued it is never applied). */
  markBatchStuck(batchId: string): boolean {
    this.processor.markStuck(batchId);
    return this.store.setBatchStatus(batchId, 'stuck');
  }

  /** Makes batchStatus answer "unknown" for the batch from now on. */
  forgetBatch(batchId: string): boolean {
    return this.store.setBatchForgetAt(batchId, this.now());
  }

  logCall(entry: Omit<RequestLogEntry, 'at'>): void {
    if (this.options.requestLogSize === 0) return;
    this.#requestLog.push({ at: new Date(this.now()).toISOString(), ...entry });
    if (this.#requestLog.length > this.options.requestLogSize) this.#requestLog.splice(0, this.#requestLog.length - this.options.requestLogSize);
  }

  /** The last Target calls (oldest first). */
  calls(): RequestLogEntry[] {
    return [...this.#requestLog];
  }

  /** Forgets profiles, batches, rate-limit windows and the request log; with `everything`, also client settings and tokens. */
  reset(options: { everything?: boolean } = {}): void {
    this.store.reset(options.everything === true);
    this.limiter.reset();
    this.#requestLog.length = 0;
    this.#settingsCache.clear();
  }

  async close(): Promise<void> {
    await this.processor.close();
    this.store.close();
  }
}
