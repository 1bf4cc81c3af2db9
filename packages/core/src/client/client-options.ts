/**
 * The Target client's options, resolved once into a frozen form. The token is kept out of the resolved
 * options (the client holds it in a private field) so that logging the options can never leak it.
 */
import type { Dispatcher } from 'undici';
import { BulkpipeError, ErrorCode, invalidOption } from '../errors.js';
import type { CallBudget } from '../rate-limit/call-budget.js';

export type ApiVersion = 'v1' | 'v2';

export interface TargetCallEvent {
  /** Which client method made the call. */
  readonly operation: 'submitBatch' | 'getBatchStatus' | 'fetchProfile' | 'singleUpdate';
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** The HTTP status, when an answer arrived. */
  readonly statusCode?: number;
  /** The error code, when the call failed. */
  readonly errorCode?: string;
  readonly durationMs: number;
}

export interface TargetClientOptions {
  /** Target client code (Administration → Implementation → Account details). */
  client: string;
  /** Scheme, host and optional path prefix of every call. @default `https://{client}.tt.omtrdc.net` */
  baseUrl?: string;
  /** Profile API token; sent as `Authorization: Bearer …` on every call when set. Never logged. */
  token?: string;
  /** Time to open a connection (TCP + TLS). @default 10000 */
  connectTimeoutMs?: number;
  /** Time from sending the request to the answer's headers (a 50 MB upload takes a while to be read). @default 120000 */
  headersTimeoutMs?: number;
  /** Longest silence while reading the answer's body. @default 30000 */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept. @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Connections per origin. @default 4 */
  connectionsPerOrigin?: number;
  /** Answers larger than this are refused (Target's are a few KB; a v2 status lists failed rows). @default 67108864 */
  maxResponseBytes?: number;
  /** Counts every batchUpdate (and, by default, batchStatus) call against the account's budget. @default none */
  rateLimiter?: CallBudget;
  /** Whether batchStatus polls take from `rateLimiter` too (nothing public says whether Target counts them). @default true */
  rateLimitStatusPolls?: boolean;
  /** @default `bulkpipe` */
  userAgent?: string;
  /** An undici dispatcher to use instead of the client's own Agent (a proxy, a mock); the client does not close it. */
  dispatcher?: Dispatcher;
  /** Called after every HTTP call (for progress and logs); must not throw. */
  onCall?: (event: TargetCallEvent) => void;
}

export interface ResolvedTargetClientOptions {
  readonly client: string;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly hasToken: boolean;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionsPerOrigin: number;
  readonly maxResponseBytes: number;
  readonly rateLimitStatusPolls: boolean;
  readonly userAgent: string;
}

const CLIENT_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function resolveTargetClientOptions(options: TargetClientOptions): ResolvedTargetClientOptions {
  const client = options.client;
  if (typeof client !== 'string' || !CLIENT_CODE.test(client)) throw invalidOption('client', 'a Target client code (letters, digits, - and _)', client);
  const baseUrl = (options.baseUrl ?? `https://${client}.tt.omtrdc.net`).replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(baseUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw invalidOption('baseUrl', 'an http(s) URL without query, fragment or credentials', options.baseUrl);
  }
  if (options.token !== undefined) checkToken(options.token);
  return Object.freeze({
    client,
    baseUrl,
    hasToken: options.token !== undefined,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000),
    headersTimeoutMs: positive('headersTimeoutMs', options.headersTimeoutMs ?? 120_000),
    bodyTimeoutMs: positive('bodyTimeoutMs', options.bodyTimeoutMs ?? 30_000),
    keepAliveTimeoutMs: positive('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? 30_000),
    connectionsPerOrigin: positiveInteger('connectionsPerOrigin', options.connectionsPerOrigin ?? 4),
    maxResponseBytes: positiveInteger('maxResponseBytes', options.maxResponseBytes ?? 64 * 1024 * 1024),
    rateLimitStatusPolls: options.rateLimitStatusPolls ?? true,
    userAgent: options.userAgent ?? 'bulkpipe',
  });
}

/** Checks a token without ever echoing it (invalidOption would print the value). */
function checkToken(token: unknown): void {
  const problem =
    typeof token !== 'string' ? 'it is not a string'
    : token.trim() === '' ? 'it is empty'
    : token !== token.trim() ? 'it has leading or trailing whitespace (a stray newline from the token file?)'
    : /[^\x21-\x7e]/.test(token) ? 'it contains a character not allowed in an HTTP header'
    : undefined;
  if (problem !== undefined) {
    throw new BulkpipeError(ErrorCode.INVALID_OPTION, `Invalid option token: ${problem} (the value is not shown)`, { option: 'token' });
  }
}

function positive(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw invalidOption(option, 'a finite number of ms > 0', value);
  return value;
}

function positiveInteger(option: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) throw invalidOption(option, 'an integer > 0', value);
  return value;
}
