import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Reading request bodies with a hard byte limit, and writing answers. A batch body may be a 2 GB mistake:
 * the reader stops at the limit (checking Content-Length first), never buffering more than the limit.
 */

export type BodyResult = { readonly kind: 'ok'; readonly body: Buffer } | { readonly kind: 'too-large' } | { readonly kind: 'aborted' };

/** Reads the body; refuses (without reading further) once it reaches `limitBytes` bytes. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared >= limitBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= limitBytes) {
        req.pause();
        chunks.length = 0;
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'ok', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received) });
    const onError = (): void => finish({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/**
 * Discards the rest of a body without keeping it, so an early answer (auth failure, rate limit, injected
 * status) reaches a client that is still uploading. Gives up after `limitBytes`.
 */
export function drainBody(req: IncomingMessage, limitBytes: number): Promise<boolean> {
  if (req.readableEnded || req.method === 'GET' || req.method === 'HEAD') return Promise.resolve(true);
  return new Promise((resolve) => {
    let received = 0;
    const done = (complete: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(complete);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= limitBytes) {
        req.pause();
        done(false);
      }
    };
    const onEnd = (): void => done(true);
    const onError = (): void => done(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.resume();
  });
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly contentType: 'xml' | 'json' | 'text';
  readonly headers?: Readonly<Record<string, string>>;
  /** The body was refused unread: discard the rest for a grace period, then disconnect. */
  readonly close?: boolean;
}

/** How long a refused upload may keep sending (discarded) before its connection is cut. */
const REFUSED_BODY_GRACE_MS = 2000;

const CONTENT_TYPES = { xml: 'application/xml;charset=UTF-8', json: 'application/json;charset=UTF-8', text: 'text/plain;charset=UTF-8' };

export function xmlAnswer(status: number, body: string, headers?: Record<string, string>): Answer {
  return headers === undefined ? { status, body, contentType: 'xml' } : { status, body, contentType: 'xml', headers };
}

export function jsonAnswer(status: number, value: unknown): Answer {
  return { status, body: JSON.stringify(value), contentType: 'json' };
}

export function send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = answer.status;
  res.setHeader('Content-Type', CONTENT_TYPES[answer.contentType]);
  res.setHeader('Content-Length', Buffer.byteLength(answer.body));
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (answer.close === true) {
    // the body was refused unread: discard (never keep) what the client still sends, so it can read this
    // answer; a client that does not finish within the grace period is disconnected
    req.resume();
    const timer = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, REFUSED_BODY_GRACE_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
  }
  res.end(answer.body);
}

/** Resolves after `ms`, or early when the client goes away (no point answering then). */
export function sleepUnlessClosed(req: IncomingMessage, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve();
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve();
    };
    req.socket.once('close', onClose);
  });
}
