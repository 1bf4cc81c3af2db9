import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

/**
 * The emulator's state in SQLite (a file or `:memory:`): profiles, batch statuses, per-client settings and
 * token hashes. Profiles keep their attributes as one JSON array per row, so applying a batch row is one
 * indexed read and one write; ingest speed depends on that.
 */

/** One attribute: value, modified-at (ms), and whether the profile's pending v2 batch set it (the override quirk). */
export type StoredAttribute = [value: string, modifiedAtMs: number, fromPendingV2: boolean];

export interface ProfileRecord {
  client: string;
  tnt_id: string;
  third_party_id: string | null;
  ecid: string | null;
  /**
   * JSON of a flat array `[name, value, fromPendingV2 (0|1), modifiedAtMs (0 = the profile's modified_at)]…`:
   * compact, because it is written once per batch row.
   */
  attrs: string;
  data_bytes: number;
  created_at: number;
  modified_at: number;
  /** Last update or mbox call; the profile TTL counts from here. */
  active_at: number;
  /** The last v2 batch that touched this thirdPartyId since its last mbox call (the override quirk). */
  v2_batch: string | null;
}

export type BatchState = 'incomplete' | 'complete' | 'stuck';

export interface BatchRecord {
  batch_id: string;
  client: string;
  version: 1 | 2;
  id_type: string;
  status: BatchState;
  batch_size: number;
  consumed: number;
  successful: number;
  not_found: number;
  failed: number;
  dropped: number;
  /** JSON array of ids whose rows failed (listed by v2 status answers). */
  failed_ids: string;
  created_at: number;
  completed_at: number | null;
  /** When set, the status is unknown from this time on (the forget-status fault or an admin call). */
  forget_at: number | null;
  /** The status URL returned to the client, verbatim. */
  status_url: string;
  /** Hex SHA-256 of the request body as received, so tests can count how often the same content was accepted. */
  body_sha256: string | null;
}

export interface ClientRecord {
  client: string;
  settings: string;
  token_hash: string | null;
  token_expires_at: number | null;
  token_created_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
  client TEXT NOT NULL, tnt_id TEXT NOT NULL, third_party_id TEXT, ecid TEXT,
  attrs TEXT NOT NULL, data_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, active_at INTEGER NOT NULL, v2_batch TEXT,
  PRIMARY KEY (client, tnt_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS profiles_third_party ON profiles (client, third_party_id) WHERE third_party_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS profiles_ecid ON profiles (client, ecid) WHERE ecid IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY, client TEXT NOT NULL, version INTEGER NOT NULL, id_type TEXT NOT NULL,
  status TEXT NOT NULL, batch_size INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0,
  successful INTEGER NOT NULL DEFAULT 0, not_found INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0, failed_ids TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL, completed_at INTEGER, forget_at INTEGER, status_url TEXT NOT NULL,
  body_sha256 TEXT
);
CREATE INDEX IF NOT EXISTS batches_client ON batches (client, created_at);
CREATE TABLE IF NOT EXISTS clients (
  client TEXT PRIMARY KEY, settings TEXT NOT NULL DEFAULT '{}',
  token_hash TEXT, token_expires_at INTEGER, token_created_at INTEGER
);
`;

export class Store {
  readonly db: SqliteDatabase;
  readonly #profileByTnt: Statement<[string, string], ProfileRecord>;
  readonly #profileByThirdParty: Statement<[string, string], ProfileRecord>;
  readonly #profileByEcid: Statement<[string, string], ProfileRecord>;
  readonly #insertProfile: Statement<unknown[]>;
  readonly #updateProfile: Statement<unknown[]>;
  readonly #deleteProfile: Statement<[string, string]>;
  readonly #insertBatch: Statement<BatchRecord>;
  readonly #getBatch: Statement<[string], BatchRecord>;
  readonly #updateBatchCounts: Statement<Pick<BatchRecord, 'batch_id' | 'status' | 'consumed' | 'successful' | 'not_found' | 'failed' | 'dropped' | 'failed_ids' | 'completed_at'>>;
  readonly #getClient: Statement<[string], ClientRecord>;
  readonly #upsertClientSettings: Statement<[string, string]>;
  readonly #setToken: Statement<[string, string | null, number | null, number | null]>;
  /** Multi-row inserts by row count: one statement for many new profiles costs far less than one each. */
  readonly #insertMany = new Map<number, Statement<unknown[], [string]>>();
  #tntCounter: number;
  #tntCounterSaved: number;

  constructor(path: string) {
    this.db = new Database(path);
    // WAL lets status reads proceed while a batch is being written; NORMAL is durable enough for an emulator.
    if (path !== ':memory:' && path !== '') {
      this.db.pragma('journal_mode = WAL');
      // checkpoint (copy the WAL into the database, with an fsync) every ~200 MB of WAL rather than every
      // ~4 MB: a 50 MB batch writes ~100 MB of pages, and ~25 fsyncing checkpoints per batch cost ~25 % of its
      // ingest time (bench/ingest.ts --db: ~168k -> ~220k rows/s)
      this.db.pragma('wal_autocheckpoint = 50000');
    }
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    // A database file written before body_sha256 existed gets the column (NULL for its old batches).
    const batchColumns = this.db.prepare<[], { name: string }>('PRAGMA table_info(batches)').all();
    if (!batchColumns.some((column) => column.name === 'body_sha256')) this.db.exec('ALTER TABLE batches ADD COLUMN body_sha256 TEXT');
    this.#profileByTnt = this.db.prepare('SELECT * FROM profiles WHERE client = ? AND tnt_id = ?');
    this.#profileByThirdParty = this.db.prepare('SELECT * FROM profiles WHERE client = ? AND third_party_id = ?');
    this.#profileByEcid = this.db.prepare('SELECT * FROM profiles WHERE client = ? AND ecid = ? ORDER BY active_at DESC LIMIT 1');
    // positional parameters and DO NOTHING on any uniqueness conflict: the hot path of a v2 batch of new ids
    this.#insertProfile = this.db.prepare(
      `INSERT INTO profiles (client, tnt_id, third_party_id, ecid, attrs, data_bytes, created_at, modified_at, active_at, v2_batch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.#updateProfile = this.db.prepare(
      `UPDATE profiles SET third_party_id = ?, ecid = ?, attrs = ?, data_bytes = ?, created_at = ?, modified_at = ?, active_at = ?, v2_batch = ?
       WHERE client = ? AND tnt_id = ?`,
    );
    this.#deleteProfile = this.db.prepare('DELETE FROM profiles WHERE client = ? AND tnt_id = ?');
    this.#insertBatch = this.db.prepare(
      `INSERT INTO batches (batch_id, client, version, id_type, status, batch_size, consumed, successful, not_found, failed, dropped,
       failed_ids, created_at, completed_at, forget_at, status_url, body_sha256)
       VALUES (@batch_id, @client, @version, @id_type, @status, @batch_size, @consumed, @successful, @not_found, @failed, @dropped,
       @failed_ids, @created_at, @completed_at, @forget_at, @status_url, @body_sha256)`,
    );
    this.#getBatch = this.db.prepare('SELECT * FROM batches WHERE batch_id = ?');
    this.#updateBatchCounts = this.db.prepare(
      `UPDATE batches SET status = @status, consumed = @consumed, successful = @successful, not_found = @not_found,
       failed = @failed, dropped = @dropped, failed_ids = @failed_ids, completed_at = @completed_at WHERE batch_id = @batch_id`,
    );
    this.#getClient = this.db.prepare('SELECT * FROM clients WHERE client = ?');
    this.#upsertClientSettings = this.db.prepare(
      'INSERT INTO clients (client, settings) VALUES (?, ?) ON CONFLICT (client) DO UPDATE SET settings = excluded.settings',
    );
    this.#tntCounter = Number(this.meta('tntCounter') ?? '0');
    this.#tntCounterSaved = this.#tntCounter;
    this.#setToken = this.db.prepare(
      `INSERT INTO clients (client, token_hash, token_expires_at, token_created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client) DO UPDATE SET token_hash = excluded.token_hash, token_expires_at = excluded.token_expires_at,
       token_created_at = excluded.token_created_at`,
    );
  }

  profileByTnt(client: string, tntId: string): ProfileRecord | undefined {
    return this.#profileByTnt.get(client, tntId);
  }

  profileByThirdParty(client: string, thirdPartyId: string): ProfileRecord | undefined {
    return this.#profileByThirdParty.get(client, thirdPartyId);
  }

  profileByEcid(client: string, ecid: string): ProfileRecord | undefined {
    return this.#profileByEcid.get(client, ecid);
  }

  /** Inserts unless the tnt id or thirdPartyId is taken; returns whether it inserted. */
  tryInsertProfile(p: ProfileRecord): boolean {
    return this.#insertProfile.run(p.client, p.tnt_id, p.third_party_id, p.ecid, p.attrs, p.data_bytes, p.created_at, p.modified_at, p.active_at, p.v2_batch).changes === 1;
  }

  /**
   * Inserts, in order, the profiles whose tnt id and thirdPartyId are free (a later duplicate in the same
   * call is not inserted). With `returning`, answers the tnt ids inserted; without, only how many (25 %
   * cheaper, enough when every record carries a fresh generated tnt id).
   */
  insertProfiles(profiles: readonly ProfileRecord[], returning: true): string[];
  insertProfiles(profiles: readonly ProfileRecord[], returning: false): number;
  insertProfiles(profiles: readonly ProfileRecord[], returning: boolean): string[] | number {
    const key = returning ? -profiles.length : profiles.length;
    let statement = this.#insertMany.get(key);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], [string]>(
        `INSERT INTO profiles (client, tnt_id, third_party_id, ecid, attrs, data_bytes, created_at, modified_at, active_at, v2_batch)
         VALUES ${Array.from({ length: profiles.length }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING${returning ? ' RETURNING tnt_id' : ''}`,
      );
      if (returning) statement.raw(true);
      this.#insertMany.set(key, statement);
    }
    const values: unknown[] = [];
    for (const p of profiles) values.push(p.client, p.tnt_id, p.third_party_id, p.ecid, p.attrs, p.data_bytes, p.created_at, p.modified_at, p.active_at, p.v2_batch);
    return returning ? statement.all(values).map((row) => row[0]) : statement.run(values).changes;
  }

  /**
   * A new TNT id for a profile the emulator creates: 32 hex digits (a per-client prefix, then a counter, so
   * new ids append to the index instead of landing at random places in it) and a cluster suffix.
   */
  nextTntId(clientPrefix: string): string {
    this.#tntCounter += 1;
    return `${clientPrefix}${this.#tntCounter.toString(16).padStart(24, '0')}.28_0`;
  }

  /** Persists the tnt id counter; call inside the transaction that inserted the profiles. */
  saveCounters(): void {
    if (this.#tntCounter === this.#tntCounterSaved) return;
    this.setMeta('tntCounter', String(this.#tntCounter));
    this.#tntCounterSaved = this.#tntCounter;
  }

  updateProfile(p: ProfileRecord): void {
    this.#updateProfile.run(p.third_party_id, p.ecid, p.attrs, p.data_bytes, p.created_at, p.modified_at, p.active_at, p.v2_batch, p.client, p.tnt_id);
  }

  deleteProfile(client: string, tntId: string): void {
    this.#deleteProfile.run(client, tntId);
  }

  listProfiles(client: string, limit: number, afterTnt: string): ProfileRecord[] {
    return this.db
      .prepare<[string, string, number], ProfileRecord>('SELECT * FROM profiles WHERE client = ? AND tnt_id > ? ORDER BY tnt_id LIMIT ?')
      .all(client, afterTnt, limit);
  }

  countProfiles(client: string): number {
    return this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM profiles WHERE client = ?').get(client)?.n ?? 0;
  }

  insertBatch(batch: BatchRecord): void {
    this.#insertBatch.run(batch);
  }

  batch(batchId: string): BatchRecord | undefined {
    return this.#getBatch.get(batchId);
  }

  saveBatchProgress(batch: BatchRecord): void {
    this.#updateBatchCounts.run({
      batch_id: batch.batch_id,
      status: batch.status,
      consumed: batch.consumed,
      successful: batch.successful,
      not_found: batch.not_found,
      failed: batch.failed,
      dropped: batch.dropped,
      failed_ids: batch.failed_ids,
      completed_at: batch.completed_at,
    });
  }

  setBatchStatus(batchId: string, status: BatchState): boolean {
    return this.db.prepare('UPDATE batches SET status = ? WHERE batch_id = ?').run(status, batchId).changes > 0;
  }

  setBatchForgetAt(batchId: string, at: number): boolean {
    return this.db.prepare('UPDATE batches SET forget_at = ? WHERE batch_id = ?').run(at, batchId).changes > 0;
  }

  listBatches(client: string, limit: number): BatchRecord[] {
    return this.db
      .prepare<[string, number], BatchRecord>('SELECT * FROM batches WHERE client = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(client, limit);
  }

  /** The batchIds of a client's newest `count` batches (status retention by count). */
  newestBatchIds(client: string, count: number): Set<string> {
    const rows = this.db
      .prepare<[string, number], { batch_id: string }>('SELECT batch_id FROM batches WHERE client = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(client, count);
    return new Set(rows.map((row) => row.batch_id));
  }

  /** Batches left `incomplete` by a previous process: their queued bodies are gone, so they become `stuck`. */
  markOrphanedBatchesStuck(): number {
    return this.db.prepare("UPDATE batches SET status = 'stuck' WHERE status = 'incomplete'").run().changes;
  }

  client(client: string): ClientRecord | undefined {
    return this.#getClient.get(client);
  }

  allClients(): ClientRecord[] {
    return this.db.prepare<[], ClientRecord>('SELECT * FROM clients ORDER BY client').all();
  }

  saveClientSettings(client: string, settingsJson: string): void {
    this.#upsertClientSettings.run(client, settingsJson);
  }

  setToken(client: string, tokenHash: string | null, expiresAt: number | null, createdAt: number | null): void {
    this.#setToken.run(client, tokenHash, expiresAt, createdAt);
  }

  meta(key: string): string | undefined {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Wipes profiles and batches (and, with `everything`, client settings and tokens). */
  reset(everything: boolean): void {
    this.db.exec(`DELETE FROM profiles; DELETE FROM batches;${everything ? ' DELETE FROM clients;' : ''}`);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
