import {
  CALLS_PER_MINUTE,
  MAX_ATTRIBUTE_NAME_LENGTH,
  MAX_BATCH_BYTES,
  MAX_BATCH_ROWS,
  MAX_PC_ID_LENGTH,
  MAX_PROFILE_EXTERNAL_BYTES,
  MAX_SINGLE_UPDATE_GET_BYTES,
  MAX_SINGLE_UPDATE_POST_BYTES,
  MAX_THIRD_PARTY_ID_LENGTH,
  PROFILE_TTL_DAYS,
  RATE_WINDOW_MS,
} from '@bulkpipe/core';
import { invalidOption } from './errors.js';

/**
 * Everything the emulator does that a live account might do differently. Each field is either a documented
 * fact ([DOC], default = the documentation) or a choice ([GUESS]); docs/emulator.md lists them all.
 * Settings apply per client code: `EmulatorOptions.settings` gives defaults, `clients[code]` overrides.
 */
export interface ClientSettings {
  /** [DOC] Every profile API call must send `Authorization: Bearer <token>`. @default false */
  requireAuth: boolean;
  /** [GUESS] HTTP status for a missing, invalid or expired token. @default 403 */
  authFailureStatus: 401 | 403;
  /** [DOC "Expires In"] Lifetime of a newly generated token; null = no expiry. @default null */
  tokenTtlMs: number | null;
  /** [DOC] Bulk calls allowed per window and client; above it, 503. 0 turns the limit off. @default 50 */
  rateLimitCalls: number;
  /** [DOC] The rolling window of the call limit. @default 60000 */
  rateLimitWindowMs: number;
  /** [GUESS] Whether batchStatus GETs count toward the limit. @default true */
  countStatusPolls: boolean;
  /** [GUESS] Send `Retry-After` (seconds until a slot frees) with the rate-limit 503; Target documents none. @default false */
  rateLimitRetryAfter: boolean;
  /** [DOC: asynchronous] Delay before a queued batch (or single update) is applied. @default 0 */
  processingDelayMs: number;
  /** [DOC] Bodies of this many bytes or more are refused (the documented limit is "< 50 MB"). @default 50000000 */
  maxBatchBytes: number;
  /** [DOC] More data rows than this are refused. @default 500000 */
  maxBatchRows: number;
  /** [DOC] External profile data per visitor; a row that would exceed it fails. @default 65536 */
  maxProfileBytes: number;
  /** [DOC] A profile expires after this long without activity. @default 14 days */
  profileTtlMs: number;
  /** [OLD] A batch status is kept this long; later it is unknown. @default 24 h */
  statusRetentionMs: number;
  /** [OLD: 10] Only this many latest statuses per client are kept; null = all. @default null */
  statusRetentionCount: number | null;
  /** [GUESS] HTTP status of undocumented batch refusals (no `batch=`, bad header, too big, too many rows). @default 200 */
  refusalStatus: number;
  /** [GUESS] HTTP status for an unknown or expired batchId (body says `<status>unknown</status>`). @default 404 */
  unknownBatchStatus: number;
  /** [GUESS] Whether v2 failed rows are listed in every status answer or only with showDetails=true. @default 'always' */
  failedProfilesIn: 'always' | 'details';
  /** [DOC history] Shape of the returned status URL: plain, with `&m2Node=00`, or under `v2/`. @default 'plain' */
  statusUrlStyle: 'plain' | 'm2node' | 'v2path';
  /** [DOC] A batch of only empty values is skipped (accepted, nothing applied) or answered `Batch is empty`. @default 'skip' */
  emptyOnlyBatch: 'skip' | 'batch-is-empty';
  /** [GUESS] Drop the CR of CRLF line endings before splitting cells. @default true */
  stripCarriageReturn: boolean;
  /** [GUESS] Trim spaces around cells. @default false */
  trimCells: boolean;
  /** [GUESS] The key header must be spelled exactly `pcId` / `thirdPartyId`. @default true */
  keyHeaderCaseSensitive: boolean;
  /** [DOC] Consecutive v2 batches for a thirdPartyId with no mbox call between override the earlier batch. @default true */
  v2Override: boolean;
  /** [GUESS] Refuse batch bodies whose Content-Type is not form-urlencoded (curl's default is). @default false */
  requireFormContentType: boolean;
  /** [DOC] thirdPartyId length limit; longer ids fail their row. @default 256 */
  maxThirdPartyIdLength: number;
  /** [DOC] pcId length limit; longer ids fail their row. @default 128 */
  maxPcIdLength: number;
  /** [DOC] Attribute name length limit; a longer header name refuses the batch. @default 128 */
  maxAttributeNameLength: number;
  /** [DOC] Single update: request URL limit for GET. @default 8192 */
  maxSingleUpdateGetBytes: number;
  /** [DOC] Single update: body limit for POST. @default 61440 */
  maxSingleUpdatePostBytes: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_CLIENT_SETTINGS: Readonly<ClientSettings> = Object.freeze({
  requireAuth: false,
  authFailureStatus: 403,
  tokenTtlMs: null,
  rateLimitCalls: CALLS_PER_MINUTE,
  rateLimitWindowMs: RATE_WINDOW_MS,
  countStatusPolls: true,
  rateLimitRetryAfter: false,
  processingDelayMs: 0,
  maxBatchBytes: MAX_BATCH_BYTES,
  maxBatchRows: MAX_BATCH_ROWS,
  maxProfileBytes: MAX_PROFILE_EXTERNAL_BYTES,
  profileTtlMs: PROFILE_TTL_DAYS * DAY_MS,
  statusRetentionMs: DAY_MS,
  statusRetentionCount: null,
  refusalStatus: 200,
  unknownBatchStatus: 404,
  failedProfilesIn: 'always',
  statusUrlStyle: 'plain',
  emptyOnlyBatch: 'skip',
  stripCarriageReturn: true,
  trimCells: false,
  keyHeaderCaseSensitive: true,
  v2Override: true,
  requireFormContentType: false,
  maxThirdPartyIdLength: MAX_THIRD_PARTY_ID_LENGTH,
  maxPcIdLength: MAX_PC_ID_LENGTH,
  maxAttributeNameLength: MAX_ATTRIBUTE_NAME_LENGTH,
  maxSingleUpdateGetBytes: MAX_SINGLE_UPDATE_GET_BYTES,
  maxSingleUpdatePostBytes: MAX_SINGLE_UPDATE_POST_BYTES,
});

type Check = (value: unknown) => boolean;
const isBool: Check = (value) => typeof value === 'boolean';
const nonNegInt: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const posInt: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 1;
const httpStatus: Check = (value) => Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599;
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
const oneOf =
  (...allowed: readonly unknown[]): Check =>
  (value) =>
    allowed.includes(value);

const CHECKS: Record<keyof ClientSettings, readonly [Check, string]> = {
  requireAuth: [isBool, 'a boolean'],
  authFailureStatus: [oneOf(401, 403), '401 or 403'],
  tokenTtlMs: [nullable(posInt), 'a positive integer of milliseconds or null'],
  rateLimitCalls: [nonNegInt, 'a non-negative integer (0 = no limit)'],
  rateLimitWindowMs: [posInt, 'a positive integer of milliseconds'],
  countStatusPolls: [isBool, 'a boolean'],
  rateLimitRetryAfter: [isBool, 'a boolean'],
  processingDelayMs: [nonNegInt, 'a non-negative integer of milliseconds'],
  maxBatchBytes: [posInt, 'a positive integer of bytes'],
  maxBatchRows: [posInt, 'a positive integer'],
  maxProfileBytes: [posInt, 'a positive integer of bytes'],
  profileTtlMs: [posInt, 'a positive integer of milliseconds'],
  statusRetentionMs: [posInt, 'a positive integer of milliseconds'],
  statusRetentionCount: [nullable(posInt), 'a positive integer or null'],
  refusalStatus: [httpStatus, 'an HTTP status 200-599'],
  unknownBatchStatus: [httpStatus, 'an HTTP status 200-599'],
  failedProfilesIn: [oneOf('always', 'details'), "'always' or 'details'"],
  statusUrlStyle: [oneOf('plain', 'm2node', 'v2path'), "'plain', 'm2node' or 'v2path'"],
  emptyOnlyBatch: [oneOf('skip', 'batch-is-empty'), "'skip' or 'batch-is-empty'"],
  stripCarriageReturn: [isBool, 'a boolean'],
  trimCells: [isBool, 'a boolean'],
  keyHeaderCaseSensitive: [isBool, 'a boolean'],
  v2Override: [isBool, 'a boolean'],
  requireFormContentType: [isBool, 'a boolean'],
  maxThirdPartyIdLength: [posInt, 'a positive integer'],
  maxPcIdLength: [posInt, 'a positive integer'],
  maxAttributeNameLength: [posInt, 'a positive integer'],
  maxSingleUpdateGetBytes: [posInt, 'a positive integer of bytes'],
  maxSingleUpdatePostBytes: [posInt, 'a positive integer of bytes'],
};

export const SETTING_NAMES = Object.freeze(Object.keys(CHECKS) as Array<keyof ClientSettings>);

/**
 * Validates a partial settings object (from options, the admin API or the database) and returns a frozen
 * copy holding only known keys. Unknown keys and bad values throw a coded error naming `where.key`.
 */
export function checkSettingsPatch(patch: unknown, where: string): Readonly<Partial<ClientSettings>> {
  if (patch === undefined) return Object.freeze({});
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw invalidOption(where, 'an object of settings', patch);
  const out: Partial<Record<keyof ClientSettings, unknown>> = {};
  for (const [key, value] of Object.entries(patch)) {
    const entry = (CHECKS as Record<string, readonly [Check, string] | undefined>)[key];
    if (entry === undefined) throw invalidOption(`${where}.${key}`, `one of ${SETTING_NAMES.join(', ')}`, key);
    if (value === undefined) continue;
    if (!entry[0](value)) throw invalidOption(`${where}.${key}`, entry[1], value);
    out[key as keyof ClientSettings] = value;
  }
  return Object.freeze(out as Partial<ClientSettings>);
}

/** The settings of one client: defaults, then the global patch, then the client's own. */
export function effectiveSettings(...patches: ReadonlyArray<Readonly<Partial<ClientSettings>>>): Readonly<ClientSettings> {
  return Object.freeze(Object.assign({}, DEFAULT_CLIENT_SETTINGS, ...patches) as ClientSettings);
}
