/**
 * The HTTP client for Target's profile APIs (shared/TARGET-API.md §2–§5) on undici 7: one keep-alive Agent
 * per client (the status URL may point at another host, `mboxedgeNN…`, so a single-origin Pool would not do),
 * connect/headers/body timeouts, an AbortSignal on every call, strict answer parsing, and errors that never
 * carry the token. It makes exactly one HTTP call per method call: retrying is `withRetry`'s job, pacing is
 * the `rateLimiter`'s (which this client tells about every 503/429 it sees).
 */
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { ErrorCode, invalidOption } from '../errors.js';
import type { ErrorCode as ErrorCodeType } from '../errors.js';
import { percentEncode } from '../encoding.js';
import { MAX_SINGLE_UPDATE_GET_BYTES, MAX_SINGLE_UPDATE_POST_BYTES } from '../limits.js';
import type { CallBudget } from '../rate-limit/call-budget.js';
import { parseRetryAfterMs } from '../retry/retry-after.js';
import { resolveTargetClientOptions } from './client-options.js';
import type { ApiVersion, ResolvedTargetClientOptions, TargetCallEvent, TargetClientOptions } from './client-options.js';
import { redact, sanitizeError } from './redact.js';
import { parseBatchStatusResponse, parseProfileResponse, parseSingleUpdateResponse, parseSubmitResponse } from './responses.js';
import type { BatchStatus, BatchSubmission, ProfileLookup, SingleUpdateAnswer } from './responses.js';
import { TargetError } from './target-error.js';

export interface SubmitBatchRequest {
  /** The whole encoded batch text, `batch=` included. Sent as is. */
  body: Uint8Array;
  apiVersion: ApiVersion;
  signal?: AbortSignal;
}

export interface BatchStatusRequest {
  /** Add `showDetails=true` for the counts and (v2) the failed rows. @default true */
  details?: boolean;
  signal?: AbortSignal;
}

/** Which profile: a bare string is a thirdPartyId. */
export type ProfileRef = string | { thirdPartyId: string } | { pcId: string } | { marketingCloudVisitorId: string };

export interface SingleUpdateRequest {
  /** thirdPartyId (sent as `mbox3rdPartyId`) or pcId (sent as `mboxPC`). */
  profile: { thirdPartyId: string } | { pcId: string };
  /** Bare attribute names → values; sent as `profile.{name}={value}`. */
  attributes: Readonly<Record<string, string>>;
  /** @default 'POST' (60 KB allowed, against 8 KB for GET) */
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
}

type Operation = TargetCallEvent['operation'];

interface CallSpec {
  readonly operation: Operation;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
  readonly signal: AbortSignal | undefined;
  /** Take a slot from the rate limiter first. */
  readonly budgeted: boolean;
}

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * undici, loaded when the first client without a dispatcher of its own is made: commands that never call Target
 * (split, validate) and the encode worker, which import this package too, skip its ~60 ms of module loading.
 */
function loadUndici(): typeof Undici {
  return createRequire(import.meta.url)('undici') as typeof Undici;
}

export class TargetClient {
  readonly options: ResolvedTargetClientOptions;
  readonly #token: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #rateLimiter: CallBudget | undefined;
  readonly #onCall: ((event: TargetCallEvent) => void) | undefined;

  constructor(options: TargetClientOptions) {
    this.options = resolveTargetClientOptions(options);
    this.#token = options.token;
    this.#rateLimiter = options.rateLimiter;
    this.#onCall = options.onCall;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new (loadUndici().Agent)({
        connect: { timeout: this.options.connectTimeoutMs },
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connections: this.options.connectionsPerOrigin,
      });
  }

  /** The batchUpdate URL for an API version. */
  batchUpdateUrl(apiVersion: ApiVersion): string {
    const client = encodeURIComponent(this.options.client);
    return `${this.options.baseUrl}/m2/${client}${apiVersion === 'v2' ? '/v2' : ''}/profile/batchUpdate`;
  }

  /**
   * POSTs one batch. Resolves only on HTTP 2xx with `<success>true</success>` and a status URL; throws
   * TARGET_REJECTED (never retried) for `success=false`, with Target's message.
   */
  async submitBatch(request: SubmitBatchRequest): Promise<BatchSubmission> {
    if (request.apiVersion !== 'v1' && request.apiVersion !== 'v2') throw invalidOption('apiVersion', "'v1' or 'v2'", request.apiVersion);
    const url = this.batchUpdateUrl(request.apiVersion);
    const answer = await this.call({ operation: 'submitBatch', method: 'POST', url, body: request.body, contentType: FORM, signal: request.signal, budgeted: true });
    this.expect2xx(answer, 'POST', url);
    const parsed = this.parse(answer, 'POST', url, parseSubmitResponse);
    if (!parsed.success) {
      throw new TargetError(ErrorCode.TARGET_REJECTED, `Target refused the batch: ${parsed.message}`, { statusCode: answer.statusCode }, { targetMessage: parsed.message });
    }
    const { success: _success, ...submission } = parsed;
    return submission;
  }

  /**
   * GETs a batch's status from the URL exactly as Target returned it. An unknown or expired batch (HTTP 404
   * or 410, or an answer without a documented status) is state `unknown`, not an error.
   */
  async getBatchStatus(statusUrl: string, request: BatchStatusRequest = {}): Promise<BatchStatus> {
    const url = request.details === false ? statusUrl : withShowDetails(statusUrl);
    const answer = await this.call({ operation: 'getBatchStatus', method: 'GET', url, signal: request.signal, budgeted: this.options.rateLimitStatusPolls });
    if (answer.statusCode === 404 || answer.statusCode === 410) {
      return { state: 'unknown', counts: {}, failedProfiles: [], failedIds: [], message: `HTTP ${answer.statusCode}: Target does not know this batch (expired or never existed)` };
    }
    this.expect2xx(answer, 'GET', url);
    return this.parse(answer, 'GET', url, parseBatchStatusResponse);
  }

  /** Fetches one profile (for verification). Not found is a value, not an error. */
  async fetchProfile(ref: ProfileRef, request: { signal?: AbortSignal } = {}): Promise<ProfileLookup> {
    const client = encodeURIComponent(this.options.client);
    const path =
      typeof ref === 'string' ? `thirdPartyId/${encodeURIComponent(ref)}`
      : 'thirdPartyId' in ref ? `thirdPartyId/${encodeURIComponent(ref.thirdPartyId)}`
      : 'pcId' in ref ? encodeURIComponent(ref.pcId)
      : `marketingCloudVisitorId/${encodeURIComponent(ref.marketingCloudVisitorId)}`;
    const url = `${this.options.baseUrl}/rest/v1/profiles/${path}?client=${client}`;
    const answer = await this.call({ operation: 'fetchProfile', method: 'GET', url, signal: request.signal, budgeted: false });
    if (answer.statusCode === 404) {
      // The documented not-found body; any other 404 body (a proxy page) still means "not there".
      try {
        const parsed = parseProfileResponse(answer.text);
        if (!parsed.found) return { found: false, message: redact(parsed.message, this.secrets()) };
      } catch {
        // fall through
      }
      return { found: false, message: 'HTTP 404' };
    }
    this.expect2xx(answer, 'GET', url);
    return this.parse(answer, 'GET', url, parseProfileResponse);
  }

  /** Single profile update (`/m2/{client}/profile/update`); updates only, never creates. Not under the 50/min budget. */
  async singleUpdate(request: SingleUpdateRequest): Promise<SingleUpdateAnswer> {
    const method = request.method ?? 'POST';
    if (method !== 'GET' && method !== 'POST') throw invalidOption('method', "'GET' or 'POST'", method);
    const key = 'thirdPartyId' in request.profile ? `mbox3rdPartyId=${percentEncode(request.profile.thirdPartyId)}` : `mboxPC=${percentEncode(request.profile.pcId)}`;
    const params = [key, ...Object.entries(request.attributes).map(([name, value]) => `profile.${percentEncode(name)}=${percentEncode(value)}`)].join('&');
    const base = `${this.options.baseUrl}/m2/${encodeURIComponent(this.options.client)}/profile/update`;
    const limit = method === 'GET' ? MAX_SINGLE_UPDATE_GET_BYTES : MAX_SINGLE_UPDATE_POST_BYTES;
    if (Buffer.byteLength(params) > limit) throw invalidOption('attributes', `at most ${limit} encoded bytes for a single ${method} update`, `${Buffer.byteLength(params)} bytes`);
    const spec: CallSpec =
      method === 'GET'
        ? { operation: 'singleUpdate', method, url: `${base}?${params}`, signal: request.signal, budgeted: false }
        : { operation: 'singleUpdate', method, url: base, body: params, contentType: FORM, signal: request.signal, budgeted: false };
    const answer = await this.call(spec);
    this.expect2xx(answer, method, base);
    const parsed = this.parse(answer, method, base, parseSingleUpdateResponse);
    if (!parsed.success) {
      const message = parsed.message ?? '(Target gave no message)';
      throw new TargetError(ErrorCode.TARGET_REJECTED, `Target refused the profile update: ${message}`, { statusCode: answer.statusCode }, { targetMessage: message });
    }
    return parsed;
  }

  /** Waits for calls in flight, then closes the connections (only those of the client's own Agent). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Closes every connection at once, failing calls in flight. */
  async destroy(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.destroy();
  }

  private secrets(): string[] {
    return this.#token === undefined ? [] : [this.#token];
  }

  private async call(spec: CallSpec): Promise<Answer> {
    const { signal } = spec;
    if (signal?.aborted) throw signal.reason;
    if (spec.budgeted && this.#rateLimiter) await this.#rateLimiter.acquire(signal);

    const started = performance.now();
    const { origin, path } = splitUrl(spec.url);
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: '*/*' };
    if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;

    let answer: Answer;
    try {
      const response = await this.#dispatcher.request({
        origin,
        path,
        method: spec.method,
        headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        ...(signal === undefined ? {} : { signal }),
      });
      // Redacted on arrival: a server or proxy that echoes request headers must not carry the token into
      // a message, an error, a journal record or a report downstream.
      const text = redact(await this.readBody(response.body, spec), this.secrets());
      answer = { statusCode: response.statusCode, headers: response.headers, text };
    } catch (error) {
      // An abort is the caller's stop, whatever undici made of it.
      if (signal?.aborted) throw signal.reason;
      const wrapped = error instanceof TargetError ? error : this.networkError(error, spec);
      this.report(spec, started, undefined, wrapped.code);
      throw wrapped;
    }
    this.report(spec, started, answer.statusCode, undefined);
    // A 503 to any bulk call means the account is over its budget, whether or not this call was counted.
    const bulkCall = spec.operation === 'submitBatch' || spec.operation === 'getBatchStatus';
    if (bulkCall && (answer.statusCode === 503 || answer.statusCode === 429)) {
      this.#rateLimiter?.penalize(parseRetryAfterMs(answer.headers['retry-after'], Date.now()));
    }
    return answer;
  }

  private async readBody(body: Dispatcher.ResponseData['body'], spec: CallSpec): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > this.options.maxResponseBytes) {
        body.destroy();
        throw new TargetError(ErrorCode.TARGET_BAD_RESPONSE, `Target's answer to ${spec.method} ${spec.url} is larger than maxResponseBytes (${this.options.maxResponseBytes})`);
      }
      chunks.push(chunk as Buffer);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch {
      throw new TargetError(ErrorCode.TARGET_BAD_RESPONSE, `Target's answer to ${spec.method} ${spec.url} is not valid UTF-8`);
    }
  }

  private networkError(error: unknown, spec: CallSpec): TargetError {
    const networkCode = transportCode(error);
    const detail = error instanceof Error ? redact(error.message, this.secrets()) : 'unknown error';
    return new TargetError(
      ErrorCode.TARGET_NETWORK,
      `${spec.method} ${spec.url} failed${networkCode === undefined ? '' : ` (${networkCode})`}: ${detail}`,
      {},
      { cause: sanitizeError(error, this.secrets()), ...(networkCode === undefined ? {} : { networkCode }) },
    );
  }

  private expect2xx(answer: Answer, method: string, url: string): void {
    const { statusCode } = answer;
    if (statusCode >= 200 && statusCode < 300) return;
    if (statusCode === 401 || statusCode === 403) {
      throw new TargetError(ErrorCode.TARGET_AUTH, authMessage(statusCode, this.#token !== undefined), { statusCode });
    }
    const retryAfterMs = parseRetryAfterMs(answer.headers['retry-after'], Date.now());
    const hint = statusCode === 503 ? ' (Target answers 503 above 50 calls per minute per account; other workers on the account count too)' : '';
    const excerpt = answer.text.trim() === '' ? '' : `: ${this.excerpt(answer.text)}`;
    throw new TargetError(
      ErrorCode.TARGET_HTTP_STATUS,
      `Target answered HTTP ${statusCode} to ${method} ${url}${hint}${excerpt}`,
      { statusCode },
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }

  private parse<T>(answer: Answer, method: string, url: string, parser: (text: string) => T): T {
    try {
      return parser(answer.text);
    } catch (error) {
      const reason = error instanceof Error ? redact(error.message, this.secrets()) : String(error);
      throw new TargetError(
        ErrorCode.TARGET_BAD_RESPONSE,
        `Target's answer to ${method} ${url} (HTTP ${answer.statusCode}) is not one bulkpipe understands (${reason}): ${this.excerpt(answer.text)}`,
        { statusCode: answer.statusCode },
      );
    }
  }

  /** A short, redacted, single-line quote of an answer for error messages. */
  private excerpt(text: string): string {
    const flat = redact(text, this.secrets()).replace(/\s+/g, ' ').trim();
    return JSON.stringify(flat.length > 300 ? `${flat.slice(0, 300)}…` : flat);
  }

  private report(spec: CallSpec, started: number, statusCode: number | undefined, errorCode: ErrorCodeType | undefined): void {
    if (!this.#onCall) return;
    this.#onCall({
      operation: spec.operation,
      method: spec.method,
      url: spec.url,
      durationMs: performance.now() - started,
      ...(statusCode === undefined ? {} : { statusCode }),
      ...(errorCode === undefined ? {} : { errorCode }),
    });
  }
}

/**
 * Adds `showDetails=true` to a status URL as it stands: `?` when it has no query yet, `&` otherwise (none
 * when it already ends in `?` or `&`), before any fragment, and not at all when the URL already asks for it.
 */
export function withShowDetails(statusUrl: string): string {
  const hashAt = statusUrl.indexOf('#');
  const base = hashAt === -1 ? statusUrl : statusUrl.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : statusUrl.slice(hashAt);
  const queryAt = base.indexOf('?');
  if (queryAt !== -1 && base.slice(queryAt + 1).split('&').some((pair) => pair === 'showDetails=true')) return statusUrl;
  const separator = queryAt === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}showDetails=true${fragment}`;
}

/** Origin and path of an absolute URL without re-encoding anything: the status URL goes on the wire as returned. */
function splitUrl(url: string): { origin: string; path: string } {
  const match = /^(https?:\/\/[^/?#]+)([^#]*)/i.exec(url);
  if (!match) throw invalidOption('url', 'an absolute http(s) URL', url);
  const rest = match[2] ?? '';
  return { origin: match[1] as string, path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}` };
}

function transportCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}

function authMessage(statusCode: number, hasToken: boolean): string {
  const where = 'In Target: Administration → Implementation → Profile API → "Generate New Profile Authentication Token"';
  const supply = 'supply it with the BULKPIPE_TOKEN environment variable or --token-file';
  return hasToken
    ? `Target refused the profile API token (HTTP ${statusCode}): it was probably rotated (generating a new token invalidates the old one) or has expired. ${where}, then ${supply}, and rerun with the same --journal to resume.`
    : `Target requires authentication (HTTP ${statusCode}) and no profile API token was configured. ${where}, then ${supply}.`;
}
