/**
 * A BulkpipeError from a call to Target, with what the retry policy and the rate limiter need:
 * the HTTP status (in `context.statusCode`), the server's `Retry-After`, and Target's own message.
 */
import { BulkpipeError } from '../errors.js';
import type { ErrorCode, ErrorContext } from '../errors.js';

export interface TargetErrorDetails {
  /** The wait the server asked for with `Retry-After`, in ms. */
  retryAfterMs?: number;
  /** The `<message>` Target answered with (success=false), redacted. */
  targetMessage?: string;
  /** The transport error code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, …) of a network error. */
  networkCode?: string;
  cause?: unknown;
}

export class TargetError extends BulkpipeError {
  override name = 'TargetError';
  readonly retryAfterMs?: number;
  readonly targetMessage?: string;
  readonly networkCode?: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, details: TargetErrorDetails = {}) {
    super(code, message, context, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.targetMessage !== undefined) this.targetMessage = details.targetMessage;
    if (details.networkCode !== undefined) this.networkCode = details.networkCode;
  }
}
