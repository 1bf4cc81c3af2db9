/**
 * Strict readers for Target's answers (shared/TARGET-API.md §2–§4). Each returns a typed value or throws a
 * `ResponseShapeError` (or `XmlSyntaxError`) that the client turns into TARGET_BAD_RESPONSE: an answer we do
 * not fully understand is never taken for a success.
 */
import { childText, descendantsNamed, parseXml } from './xml.js';
import type { XmlElement } from './xml.js';

export class ResponseShapeError extends Error {
  override name = 'ResponseShapeError';
}

/** `batchUpdate` answered `success=true`: the batch is queued (not yet written). */
export interface BatchSubmission {
  /** The status URL exactly as Target returned it (surrounding whitespace removed): poll it as is. */
  readonly statusUrl: string;
  /** The batchId as Target spelled it (`<batchId>` or the URL's raw `batchId` parameter), when it gave one. */
  readonly batchId?: string;
  readonly message?: string;
}

export type SubmitAnswer = ({ readonly success: true } & BatchSubmission) | { readonly success: false; readonly message: string };

export function parseSubmitResponse(body: string): SubmitAnswer {
  const root = responseRoot(body);
  const success = booleanText(root, 'success');
  const message = childText(root, 'message')?.trim();
  if (!success) return { success: false, message: message === undefined || message === '' ? '(Target gave no message)' : message };
  const statusUrl = childText(root, 'batchStatus')?.trim() ?? '';
  if (statusUrl === '') throw new ResponseShapeError('success=true without a <batchStatus> URL');
  if (!isHttpUrl(statusUrl)) throw new ResponseShapeError(`<batchStatus> is not an http(s) URL: ${JSON.stringify(statusUrl.slice(0, 200))}`);
  const batchId = childText(root, 'batchId')?.trim() || batchIdFromUrl(statusUrl);
  return {
    success: true,
    statusUrl,
    ...(batchId === undefined ? {} : { batchId }),
    ...(message === undefined ? {} : { message }),
  };
}

/** `complete` and `stuck` are final; `unknown` means Target no longer (or never) knew the batch — not a failure. */
export type BatchState = 'complete' | 'incomplete' | 'stuck' | 'unknown';

export interface BatchStatusCounts {
  readonly batchSize?: number;
  readonly consumedCount?: number;
  readonly successfulUpdates?: number;
  readonly profilesNotFound?: number;
  readonly failedUpdates?: number;
}

export interface ProfileOutcome {
  readonly id: string;
  readonly status: string;
}

export interface BatchStatus {
  readonly state: BatchState;
  readonly batchId?: string;
  readonly counts: BatchStatusCounts;
  /** v2: rows Target lists with a status other than `success` (older answers said `error` or `pending`). */
  readonly failedProfiles: readonly ProfileOutcome[];
  /** The ids of `failedProfiles`, in Target's order. */
  readonly failedIds: readonly string[];
  /** The `<status>` text when it was none of the three documented values (state is then `unknown`). */
  readonly reportedStatus?: string;
  readonly message?: string;
}

const STATES: ReadonlySet<string> = new Set(['complete', 'incomplete', 'stuck']);
const COUNT_NAMES = ['batchSize', 'consumedCount', 'successfulUpdates', 'profilesNotFound', 'failedUpdates'] as const;

export function parseBatchStatusResponse(body: string): BatchStatus {
  const root = responseRoot(body);
  const statusText = childText(root, 'status')?.trim();
  const message = childText(root, 'message')?.trim();
  const batchId = childText(root, 'batchId')?.trim();
  const success = childText(root, 'success') === undefined ? undefined : booleanText(root, 'success');

  const counts: Record<string, number> = {};
  for (const name of COUNT_NAMES) {
    const text = childText(root, name)?.trim();
    if (text === undefined) continue;
    if (!/^\d{1,15}$/.test(text)) throw new ResponseShapeError(`<${name}> is not a count: ${JSON.stringify(text.slice(0, 50))}`);
    counts[name] = Number(text);
  }

  const failedProfiles: ProfileOutcome[] = [];
  for (const profile of descendantsNamed(root, 'profile')) {
    const id = childText(profile, 'id')?.trim();
    const status = childText(profile, 'status')?.trim();
    if (id === undefined || id === '' || status === undefined) throw new ResponseShapeError('a <profile> without <id> or <status>');
    if (status !== 'success') failedProfiles.push({ id, status });
  }

  let state: BatchState;
  let reportedStatus: string | undefined;
  if (statusText !== undefined && STATES.has(statusText)) {
    state = statusText as BatchState;
  } else if (statusText !== undefined && statusText !== '') {
    state = 'unknown';
    reportedStatus = statusText;
  } else if (success === false || message !== undefined) {
    // "No such batch" answers come without a status; only a live account could tell their exact shape.
    state = 'unknown';
  } else {
    throw new ResponseShapeError('a batch status without <status>');
  }

  return {
    state,
    ...(batchId === undefined || batchId === '' ? {} : { batchId }),
    counts,
    failedProfiles,
    failedIds: failedProfiles.map((profile) => profile.id),
    ...(reportedStatus === undefined ? {} : { reportedStatus }),
    ...(message === undefined ? {} : { message }),
  };
}

/** The single-update answer (`success`, `pcId`, `message`). */
export interface SingleUpdateAnswer {
  readonly success: boolean;
  readonly pcId?: string;
  readonly message?: string;
}

export function parseSingleUpdateResponse(body: string): SingleUpdateAnswer {
  const root = responseRoot(body);
  const success = booleanText(root, 'success');
  const pcId = childText(root, 'pcId')?.trim();
  const message = childText(root, 'message')?.trim();
  return { success, ...(pcId === undefined || pcId === '' ? {} : { pcId }), ...(message === undefined ? {} : { message }) };
}

export interface ProfileAttribute {
  readonly value: string;
  readonly modifiedAt?: string;
}

export interface TargetProfile {
  readonly client?: string;
  readonly visitorId?: string;
  readonly modifiedAt?: string;
  /** Bare attribute names (no `profile.` prefix) → value and when it changed. */
  readonly profileAttributes: Readonly<Record<string, ProfileAttribute>>;
}

export type ProfileLookup = { readonly found: true; readonly profile: TargetProfile } | { readonly found: false; readonly message: string };

/** The profile fetch JSON; `{"status":404,…}` (whatever the HTTP status) is "not found". */
export function parseProfileResponse(body: string): ProfileLookup {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ResponseShapeError('a profile answer that is not JSON');
  }
  if (!isPlainObject(json)) throw new ResponseShapeError('a profile answer that is not a JSON object');
  if (json.status === 404) return { found: false, message: typeof json.message === 'string' ? json.message : 'No profile found' };
  const attributes = json.profileAttributes ?? {};
  if (!isPlainObject(attributes)) throw new ResponseShapeError('profileAttributes is not an object');
  const profileAttributes: Record<string, ProfileAttribute> = {};
  for (const [name, entry] of Object.entries(attributes)) {
    if (!isPlainObject(entry) || typeof entry.value !== 'string') throw new ResponseShapeError(`profile attribute ${JSON.stringify(name)} has no string value`);
    profileAttributes[name] = typeof entry.modifiedAt === 'string' ? { value: entry.value, modifiedAt: entry.modifiedAt } : { value: entry.value };
  }
  return {
    found: true,
    profile: {
      ...optionalString(json, 'client'),
      ...optionalString(json, 'visitorId'),
      ...optionalString(json, 'modifiedAt'),
      profileAttributes,
    },
  };
}

function responseRoot(body: string): XmlElement {
  const root = parseXml(body);
  if (root.name !== 'response') throw new ResponseShapeError(`root element <${root.name}>, expected <response>`);
  return root;
}

function booleanText(root: XmlElement, name: string): boolean {
  const text = childText(root, name)?.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ResponseShapeError(text === undefined ? `no <${name}>` : `<${name}> is neither true nor false: ${JSON.stringify(text.slice(0, 50))}`);
}

function isHttpUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The raw (not decoded) value of the `batchId` query parameter. */
function batchIdFromUrl(url: string): string | undefined {
  const query = url.split('#', 1)[0]?.split('?').slice(1).join('?') ?? '';
  for (const pair of query.split('&')) {
    if (pair.startsWith('batchId=') && pair.length > 'batchId='.length) return pair.slice('batchId='.length);
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString<K extends string>(json: Record<string, unknown>, key: K): { [P in K]?: string } {
  const value = json[key];
  return (typeof value === 'string' ? { [key]: value } : {}) as { [P in K]?: string };
}
