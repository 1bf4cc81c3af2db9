import type { AttributeColumns } from './attribute-columns.js';
import { fnv1a32 } from './hash.js';
import type { KeyType } from './batch-text.js';
import type { ClientSettings } from './settings.js';
import type { ProfileRecord, StoredAttribute, Store } from './store.js';

/**
 * Profile semantics shared by batch rows, single updates and simulated mbox calls (TARGET-API.md §2, §4):
 * empty values never clear anything, v1 and single updates never create, v2 creates, the 64 KB external
 * data cap fails the row, and consecutive v2 batches for a thirdPartyId override each other until an mbox call.
 */

export type RowOutcome = 'successful' | 'notFound' | 'failed';

type AttributeMap = Map<string, StoredAttribute>;

/** UTF-8 length without allocating; the 64 KB cap is counted over names and values. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Reads the stored attributes; `profileModifiedAt` fills the timestamps stored as 0. */
export function readAttributes(json: string, profileModifiedAt: number): AttributeMap {
  const map: AttributeMap = new Map();
  const flat = JSON.parse(json) as Array<string | number>;
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const modifiedAt = flat[i + 3] as number;
    map.set(flat[i] as string, [flat[i + 1] as string, modifiedAt === 0 ? profileModifiedAt : modifiedAt, flat[i + 2] === 1]);
  }
  return map;
}

/** Serializes the attributes of a profile whose modified_at becomes `profileModifiedAt`, and counts their UTF-8 bytes. */
function writeAttributes(map: AttributeMap, profileModifiedAt: number): { json: string; bytes: number } {
  const flat: Array<string | number> = [];
  let bytes = 0;
  for (const [name, [value, modifiedAt, fromPendingV2]] of map) {
    flat.push(name, value, fromPendingV2 ? 1 : 0, modifiedAt === profileModifiedAt ? 0 : modifiedAt);
    bytes += utf8Length(name) + utf8Length(value);
  }
  return { json: JSON.stringify(flat), bytes };
}

export function isExpired(profile: ProfileRecord, now: number, settings: Readonly<ClientSettings>): boolean {
  return now - profile.active_at >= settings.profileTtlMs;
}

/** The first 8 hex digits of the TNT ids the emulator gives a client's new profiles (from client and seed). */
export function tntPrefix(client: string, seed: number): string {
  return fnv1a32(`${seed}\u0000${client}`).toString(16).padStart(8, '0');
}

/** Why an id cannot be a key, or undefined when it can (the emulator's own reading of the documented limits). */
export function idProblem(keyType: KeyType, id: string, settings: Readonly<ClientSettings>): string | undefined {
  if (id === '') return 'empty id';
  if (keyType === 'thirdPartyId') {
    if (id.length > settings.maxThirdPartyIdLength) return 'thirdPartyId too long';
    if (id.includes('+') || id.includes('/')) return 'thirdPartyId contains + or /';
  } else if (id.length > settings.maxPcIdLength) return 'pcId too long';
  return undefined;
}

/** Finds a live profile; an expired one is deleted on the way (the TTL is honoured everywhere). */
export function findLiveProfile(store: Store, client: string, keyType: KeyType, id: string, now: number, settings: Readonly<ClientSettings>): ProfileRecord | undefined {
  const profile = keyType === 'thirdPartyId' ? store.profileByThirdParty(client, id) : store.profileByTnt(client, id);
  if (profile === undefined) return undefined;
  if (!isExpired(profile, now, settings)) return profile;
  store.deleteProfile(client, profile.tnt_id);
  return undefined;
}

export interface RowWrite {
  readonly client: string;
  readonly version: 1 | 2;
  readonly keyType: KeyType;
  /** The batch applying it (undefined for a single update). */
  readonly batchId: string | undefined;
  readonly now: number;
  readonly settings: Readonly<ClientSettings>;
  readonly seed: number;
}

/**
 * Applies one row: `pairs` are (name, value) with empty values already left out. Writes nothing when the
 * row fails. v1 (and single updates, passed as version 1) never create a profile.
 */
export function applyProfileRow(store: Store, write: RowWrite, id: string, pairs: ReadonlyArray<readonly [string, string]>, tryInsertFirst = true): RowOutcome {
  const { client, version, keyType, batchId, now, settings } = write;
  if (idProblem(keyType, id, settings) !== undefined) return 'failed';
  const tracksOverride = version === 2 && keyType === 'thirdPartyId' && batchId !== undefined;
  const setBy = tracksOverride ? batchId : null;

  if (tryInsertFirst && version === 2 && pairs.length > 0) {
    // fast path for the common bulk load: a new id is one INSERT; any conflict (existing, expired or a
    // taken tnt id) falls through to the read-modify-write path below
    const created = newProfileFor(store, write, id, pairs);
    if (created === 'failed') return 'failed';
    if (store.tryInsertProfile(created)) return 'successful';
  }

  const existing = findLiveProfile(store, client, keyType, id, now, settings);
  if (existing === undefined && version === 1) return 'notFound';
  // an empty row changes nothing, creates nothing and does not count as activity
  if (pairs.length === 0) return 'successful';

  const attributes = existing === undefined ? new Map<string, StoredAttribute>() : readAttributes(existing.attrs, existing.modified_at);
  if (tracksOverride && existing !== undefined && existing.v2_batch !== batchId) {
    for (const [name, attribute] of attributes) {
      if (!attribute[2]) continue;
      // the documented override: what the earlier v2 batch set for this id is lost, not merged;
      // without a pending batch (an mbox call came between) the flags only restart the window
      if (settings.v2Override && existing.v2_batch !== null) attributes.delete(name);
      else attribute[2] = false;
    }
  }
  for (const [name, value] of pairs) attributes.set(name, [value, now, tracksOverride]);
  const { json, bytes } = writeAttributes(attributes, now);
  if (bytes > settings.maxProfileBytes) return 'failed';

  if (existing === undefined) {
    // a generated tnt id can only be taken by a pcId spelled the same way: draw the next one
    for (let attempt = 0; !store.tryInsertProfile(newProfile(store, write, id, json, bytes, setBy)); attempt++) {
      if (keyType === 'pcId' || attempt > 16) return 'failed';
    }
  } else {
    existing.attrs = json;
    existing.data_bytes = bytes;
    existing.modified_at = now;
    existing.active_at = now;
    if (tracksOverride) existing.v2_batch = setBy;
    store.updateProfile(existing);
  }
  return 'successful';
}

function newProfile(store: Store, write: RowWrite, id: string, attrs: string, bytes: number, v2Batch: string | null, prefix?: string): ProfileRecord {
  const isThirdParty = write.keyType === 'thirdPartyId';
  return {
    client: write.client,
    tnt_id: isThirdParty ? store.nextTntId(prefix ?? tntPrefix(write.client, write.seed)) : id,
    third_party_id: isThirdParty ? id : null,
    ecid: null,
    attrs,
    data_bytes: bytes,
    created_at: write.now,
    modified_at: write.now,
    active_at: write.now,
    v2_batch: v2Batch,
  };
}

/** The record a v2 row creates when its id is new, or 'failed' when it alone passes the external-data cap. */
function newProfileFor(store: Store, write: RowWrite, id: string, pairs: ReadonlyArray<readonly [string, string]>, prefix?: string): ProfileRecord | 'failed' {
  const tracksOverride = write.keyType === 'thirdPartyId' && write.batchId !== undefined;
  const attributes = new Map<string, StoredAttribute>();
  for (const [name, value] of pairs) attributes.set(name, [value, write.now, tracksOverride]);
  const { json, bytes } = writeAttributes(attributes, write.now);
  if (bytes > write.settings.maxProfileBytes) return 'failed';
  return newProfile(store, write, id, json, bytes, tracksOverride ? write.batchId! : null, prefix);
}

/**
 * Applies v2 rows in groups: rows whose id may be new are buffered and inserted with one multi-row INSERT;
 * the rows it did not insert (the id exists, or repeats within the group) then go, in their original order,
 * through `applyProfileRow`. The result equals applying the rows one by one.
 */
export class GroupedRowApplier {
  readonly #store: Store;
  readonly #write: RowWrite;
  readonly #groupRows: number;
  readonly #onOutcome: (id: string, outcome: RowOutcome) => void;
  /** The tnt id prefix of this client and seed, hashed once instead of once per new profile. */
  readonly #prefix: string;
  readonly #tracksOverride: boolean;
  #ids: string[] = [];
  /** Per buffered row: its pairs, or (from `applyCells`) undefined and its cells, turned into pairs only if needed. */
  #pairs: Array<ReadonlyArray<readonly [string, string]> | undefined> = [];
  #cells: Array<readonly string[] | undefined> = [];
  #columns: AttributeColumns | undefined;
  #records: ProfileRecord[] = [];

  constructor(store: Store, write: RowWrite, groupRows: number, onOutcome: (id: string, outcome: RowOutcome) => void) {
    this.#store = store;
    this.#write = write;
    this.#groupRows = groupRows;
    this.#onOutcome = onOutcome;
    this.#prefix = tntPrefix(write.client, write.seed);
    this.#tracksOverride = write.keyType === 'thirdPartyId' && write.batchId !== undefined;
  }

  apply(id: string, pairs: ReadonlyArray<readonly [string, string]>): void {
    const write = this.#write;
    if (write.version !== 2 || pairs.length === 0 || idProblem(write.keyType, id, write.settings) !== undefined) {
      this.flush();
      this.#onOutcome(id, applyProfileRow(this.#store, write, id, pairs, false));
      return;
    }
    const record = newProfileFor(this.#store, write, id, pairs, this.#prefix);
    if (record === 'failed') {
      this.flush(); // keeps outcomes (and the listed failed ids) in row order
      this.#onOutcome(id, 'failed');
      return;
    }
    this.#buffer(id, pairs, undefined, record);
  }

  /**
   * Applies one batch row given as cells (index 0 the id) under `columns`: the same outcome as
   * `apply(id, columns.pairs(cells))`, without building pairs unless the row leaves the new-profile path.
   */
  applyCells(id: string, cells: readonly string[], columns: AttributeColumns): void {
    const write = this.#write;
    const attrs = write.version === 2 && idProblem(write.keyType, id, write.settings) === undefined ? columns.newProfileAttrs(cells, this.#tracksOverride) : undefined;
    if (attrs === undefined) {
      this.apply(id, columns.pairs(cells));
      return;
    }
    if (attrs.bytes > write.settings.maxProfileBytes) {
      this.flush();
      this.#onOutcome(id, 'failed');
      return;
    }
    const record = newProfile(this.#store, write, id, attrs.json, attrs.bytes, this.#tracksOverride ? write.batchId! : null, this.#prefix);
    this.#columns = columns;
    this.#buffer(id, undefined, cells, record);
  }

  #buffer(id: string, pairs: ReadonlyArray<readonly [string, string]> | undefined, cells: readonly string[] | undefined, record: ProfileRecord): void {
    this.#ids.push(id);
    this.#pairs.push(pairs);
    this.#cells.push(cells);
    this.#records.push(record);
    if (this.#records.length >= this.#groupRows) this.flush();
  }

  flush(): void {
    const records = this.#records;
    if (records.length === 0) return;
    const store = this.#store;
    let insertedNow: (record: ProfileRecord) => boolean;
    if (this.#write.keyType === 'thirdPartyId') {
      // generated tnt ids are fresh: a record whose tnt id now holds its thirdPartyId was inserted here
      const count = store.insertProfiles(records, false);
      insertedNow =
        count === records.length ? () => true : (record) => store.profileByTnt(record.client, record.tnt_id)?.third_party_id === record.third_party_id;
    } else {
      // a pcId is its own tnt id and may have existed before: ask which rows went in
      const inserted = store.insertProfiles(records, true);
      insertedNow = (record) => {
        const at = inserted.indexOf(record.tnt_id);
        if (at === -1) return false;
        inserted.splice(at, 1);
        return true;
      };
    }
    for (let i = 0; i < records.length; i++) {
      if (insertedNow(records[i]!)) this.#onOutcome(this.#ids[i]!, 'successful');
      else {
        const pairs = this.#pairs[i] ?? this.#columns!.pairs(this.#cells[i]!);
        this.#onOutcome(this.#ids[i]!, applyProfileRow(store, this.#write, this.#ids[i]!, pairs, false));
      }
    }
    this.#ids = [];
    this.#pairs = [];
    this.#cells = [];
    this.#records = [];
  }
}

/** The documented fetch answer (TARGET-API.md §4): values are strings, names without `profile.`. */
export interface ProfileDocument {
  client: string;
  visitorId: string;
  modifiedAt: string;
  profileAttributes: Record<string, { value: string; modifiedAt: string }>;
}

export function profileDocument(profile: ProfileRecord, visitorId: string): ProfileDocument {
  const profileAttributes: Record<string, { value: string; modifiedAt: string }> = {};
  for (const [name, [value, modifiedAt]] of readAttributes(profile.attrs, profile.modified_at)) {
    // defineProperty, so an attribute called __proto__ is data, not a prototype change
    Object.defineProperty(profileAttributes, name, { value: { value, modifiedAt: new Date(modifiedAt).toISOString() }, enumerable: true, writable: true, configurable: true });
  }
  return { client: profile.client, visitorId, modifiedAt: new Date(profile.modified_at).toISOString(), profileAttributes };
}

/** An mbox call seen by Target for a visitor: the input of the emulator's simulation endpoint. */
export interface MboxCallInput {
  thirdPartyId?: string;
  tntId?: string;
  ecid?: string;
  /** In-mbox profile parameters, without the `profile.` prefix. */
  profile?: Record<string, string>;
}

export interface MboxCallResult {
  tntId: string;
  thirdPartyId: string | null;
  ecid: string | null;
  created: boolean;
}

/**
 * Simulates an mbox call: finds (or, like a page view, creates) the visitor's profile, links the ids given,
 * refreshes its activity, applies in-mbox parameters, and ends the v2 override window for its thirdPartyId.
 */
export function simulateMboxCall(store: Store, client: string, input: MboxCallInput, now: number, settings: Readonly<ClientSettings>, seed: number): MboxCallResult {
  const live = (profile: ProfileRecord | undefined): ProfileRecord | undefined => (profile !== undefined && !isExpired(profile, now, settings) ? profile : undefined);
  let profile =
    (input.tntId !== undefined ? live(store.profileByTnt(client, input.tntId)) : undefined) ??
    (input.thirdPartyId !== undefined ? live(store.profileByThirdParty(client, input.thirdPartyId)) : undefined) ??
    (input.ecid !== undefined ? live(store.profileByEcid(client, input.ecid)) : undefined);
  const created = profile === undefined;
  if (profile === undefined) {
    const tntId = input.tntId ?? store.nextTntId(tntPrefix(client, seed));
    // an expired profile under the same ids is replaced
    const stale = store.profileByTnt(client, tntId);
    if (stale !== undefined) store.deleteProfile(client, stale.tnt_id);
    const staleThirdParty = input.thirdPartyId !== undefined ? store.profileByThirdParty(client, input.thirdPartyId) : undefined;
    if (staleThirdParty !== undefined) store.deleteProfile(client, staleThirdParty.tnt_id);
    profile = { client, tnt_id: tntId, third_party_id: null, ecid: null, attrs: '[]', data_bytes: 0, created_at: now, modified_at: now, active_at: now, v2_batch: null };
    if (!store.tryInsertProfile(profile)) throw new Error(`cannot create a profile for tnt id ${tntId}`);
    store.saveCounters();
  }
  if (input.thirdPartyId !== undefined && profile.third_party_id !== input.thirdPartyId) {
    const other = store.profileByThirdParty(client, input.thirdPartyId);
    if (other !== undefined && other.tnt_id !== profile.tnt_id) store.deleteProfile(client, other.tnt_id);
    profile.third_party_id = input.thirdPartyId;
  }
  if (input.ecid !== undefined) profile.ecid = input.ecid;
  // the mbox call ends the override window: no attribute belongs to a pending v2 batch any more
  const attributes = readAttributes(profile.attrs, profile.modified_at);
  for (const attribute of attributes.values()) attribute[2] = false;
  let written = writeAttributes(attributes, profile.modified_at);
  const values = Object.entries(input.profile ?? {}).filter(([, value]) => value !== '');
  if (values.length > 0) {
    const next = new Map(attributes);
    for (const [name, value] of values) next.set(name, [value, now, false]);
    const withValues = writeAttributes(next, now);
    // like a batch row, parameters that would pass the external-data cap are not stored
    if (withValues.bytes <= settings.maxProfileBytes) {
      written = withValues;
      profile.modified_at = now;
    }
  }
  profile.attrs = written.json;
  profile.data_bytes = written.bytes;
  profile.active_at = now;
  profile.v2_batch = null;
  store.updateProfile(profile);
  return { tntId: profile.tnt_id, thirdPartyId: profile.third_party_id, ecid: profile.ecid, created };
}
