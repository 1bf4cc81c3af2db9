/**
 * The one place that decides what to do with the outcome of a call to Target (Vector's shape: a classifier,
 * so "HTTP 200 whose body says failure" and "a socket reset" are judged side by side). The table with the
 * reasons is in docs/reliability.md.
 */
import { ErrorCode, isBulkpipeError } from '../errors.js';

/**
 * - `ok`: done.
 * - `retry`: transient; try again after a backoff (network errors, 408, 429, 5xx but 501/505).
 * - `fatal-config`: the run cannot go on without a configuration change (401/403: the token; a TLS
 *   certificate that does not verify: the endpoint, a proxy, or a missing CA).
 * - `fail`: this call failed for good (other 4xx, `success=false`, a malformed answer); retrying
 *   would send the same thing and get the same answer.
 */
export type RetryDecision = 'ok' | 'retry' | 'fatal-config' | 'fail';

/** What a response looks like to the classifier. `success: false` is Target's HTTP-200 failure. */
export interface ClassifiableResponse {
  readonly statusCode: number;
  readonly success?: boolean;
}

/** Transport error codes that say nothing about the request itself (undici's retry list plus DNS hiccups). */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
]);

/**
 * TLS verification failures (Node's and OpenSSL's codes): the endpoint's certificate will not verify on the
 * next attempt either, so retrying only delays the message — the run stops, as for a rejected token.
 */
export const TLS_VERIFICATION_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** undici codes that are bugs or deliberate stops, not transient faults: every other `UND_ERR_*` retries. */
export const NON_RETRYABLE_UNDICI_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_ABORTED',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
]);

/** Classifies an HTTP status code alone. */
export function classifyStatus(statusCode: number): RetryDecision {
  if (statusCode >= 200 && statusCode < 300) return 'ok';
  if (statusCode === 401 || statusCode === 403) return 'fatal-config';
  if (statusCode === 408 || statusCode === 429) return 'retry';
  // 501 and 505 say "this server will never do that": the endpoint or the protocol is wrong.
  if (statusCode >= 500 && statusCode < 600 && statusCode !== 501 && statusCode !== 505) return 'retry';
  return 'fail';
}

/** Classifies a response, or an error thrown by a call (bulkpipe's own, undici's or Node's). */
export function classify(outcome: unknown): RetryDecision {
  if (isResponse(outcome)) {
    const byStatus = classifyStatus(outcome.statusCode);
    return byStatus === 'ok' && outcome.success === false ? 'fail' : byStatus;
  }
  if (isBulkpipeError(outcome)) {
    switch (outcome.code) {
      case ErrorCode.TARGET_NETWORK: {
        const networkCode = (outcome as { networkCode?: unknown }).networkCode;
        return typeof networkCode === 'string' && TLS_VERIFICATION_CODES.has(networkCode) ? 'fatal-config' : 'retry';
      }
      case ErrorCode.TARGET_AUTH:
      case ErrorCode.INVALID_OPTION:
        return 'fatal-config';
      case ErrorCode.TARGET_HTTP_STATUS: {
        const statusCode = outcome.context.statusCode;
        return statusCode === undefined ? 'fail' : classifyStatus(statusCode);
      }
      default:
        return 'fail';
    }
  }
  return classifyNetworkError(outcome, 0);
}

function classifyNetworkError(error: unknown, depth: number): RetryDecision {
  if (typeof error !== 'object' || error === null || depth > 4) return 'fail';
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown };
  // An abort is the caller's decision, never a fault to retry through.
  if (name === 'AbortError' || name === 'TimeoutError') return 'fail';
  if (typeof code === 'string') {
    if (TLS_VERIFICATION_CODES.has(code)) return 'fatal-config';
    if (RETRYABLE_NETWORK_CODES.has(code)) return 'retry';
    if (code.startsWith('UND_ERR_')) return NON_RETRYABLE_UNDICI_CODES.has(code) ? 'fail' : 'retry';
  }
  // fetch() wraps the transport error: TypeError('fetch failed', { cause }).
  return cause === undefined ? 'fail' : classifyNetworkError(cause, depth + 1);
}

function isResponse(value: unknown): value is ClassifiableResponse {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && typeof (value as { statusCode?: unknown }).statusCode === 'number';
}
