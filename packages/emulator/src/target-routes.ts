import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from './auth.js';
import { countRows, hasOnlyEmptyValues, readHeader } from './batch-text.js';
import type { BatchTextRules, KeyType } from './batch-text.js';
import type { EmulatorState } from './emulator-state.js';
import type { EndpointName, FaultDecision } from './faults.js';
import { decodeForm, formValue } from './form-decode.js';
import type { FormField } from './form-decode.js';
import { drainBody, jsonAnswer, readBody, send, sleepUnlessClosed, xmlAnswer } from './http-util.js';
import type { Answer } from './http-util.js';
import { applyProfileRow, idProblem, profileDocument } from './profiles.js';
import type { ClientSettings } from './settings.js';
import type { BatchRecord } from './store.js';
import { escapeXml, xmlFailure, xmlResponse } from './xml.js';

/** A request matched to one of Target's endpoints. */
export interface TargetRoute {
  readonly endpoint: EndpointName;
  readonly client: string;
  /** fetch: which id the path names, and the id. */
  readonly fetch?: { readonly kind: 'thirdPartyId' | 'tntId' | 'ecid'; readonly id: string };
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Maps a path (and, for fetch, the `client` query parameter) to an endpoint; undefined when it is not Target's. */
export function matchTargetRoute(pathname: string, query: URLSearchParams): TargetRoute | 'bad-request' | undefined {
  const m2 = /^\/m2\/([^/]+)\/(v2\/)?profile\/(batchUpdate|batchStatus|update)$/.exec(pathname);
  if (m2 !== null) {
    const client = decodeSegment(m2[1]!);
    if (client === undefined || client === '') return 'bad-request';
    const isV2 = m2[2] !== undefined;
    if (m2[3] === 'batchUpdate') return { endpoint: isV2 ? 'batchUpdateV2' : 'batchUpdateV1', client };
    if (m2[3] === 'batchStatus') return { endpoint: 'batchStatus', client };
    if (!isV2) return { endpoint: 'update', client };
    return undefined;
  }
  const rest = /^\/rest\/v1\/profiles\/(?:(thirdPartyId|marketingCloudVisitorId)\/)?([^/]+)$/.exec(pathname);
  if (rest !== null) {
    const id = decodeSegment(rest[2]!);
    const client = query.get('client');
    if (id === undefined || client === null || client === '') return 'bad-request';
    const kind = rest[1] === 'thirdPartyId' ? 'thirdPartyId' : rest[1] === 'marketingCloudVisitorId' ? 'ecid' : 'tntId';
    return { endpoint: 'fetch', client, fetch: { kind, id } };
  }
  return undefined;
}

const ALLOWED_METHODS: Record<EndpointName, readonly string[]> = {
  batchUpdateV1: ['POST'],
  batchUpdateV2: ['POST'],
  batchStatus: ['GET'],
  update: ['GET', 'POST'],
  fetch: ['GET'],
};

function isJsonEndpoint(endpoint: EndpointName): boolean {
  return endpoint === 'fetch';
}

function failure(endpoint: EndpointName, status: number, message: string): Answer {
  return isJsonEndpoint(endpoint) ? jsonAnswer(status, { status, message }) : xmlAnswer(status, xmlFailure(message));
}

function bodyLimit(route: TargetRoute, settings: Readonly<ClientSettings>): number {
  return route.endpoint === 'update' ? settings.maxSingleUpdatePostBytes : settings.maxBatchBytes;
}

/**
 * Serves one Target call: faults first (latency, reset, injected status), then authentication, then the
 * rate limit, then the endpoint itself. Early answers drain the body so a client still uploading reads them.
 */
export async function serveTarget(state: EmulatorState, route: TargetRoute, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const settings = state.settingsFor(route.client);
  const decision = state.faults.evaluate({ client: route.client, endpoint: route.endpoint, method, path: url.pathname });
  const logged = (status: number | 'reset'): void =>
    state.logCall({ method, path: url.pathname, endpoint: route.endpoint, client: route.client, status, faults: decision.fired });
  const reset = (): void => {
    logged('reset');
    req.socket.destroy();
  };
  const answer = async (result: Answer, drain = true): Promise<void> => {
    if (drain) await drainBody(req, bodyLimit(route, settings));
    logged(result.status);
    send(req, res, result);
  };

  await sleepUnlessClosed(req, decision.latencyMs);
  // the client gave up during the latency (its timeout): still a call Target saw, logged like a cut body
  if (req.socket.destroyed) return logged('reset');
  if (decision.reset === 'before-body') return reset();
  if (decision.status !== undefined) return answer(faultAnswer(route.endpoint, decision.status, req));
  if (!ALLOWED_METHODS[route.endpoint].includes(method)) {
    return answer({ ...failure(route.endpoint, 405, `Method ${method} not allowed`), headers: { Allow: ALLOWED_METHODS[route.endpoint].join(', ') } });
  }

  if (settings.requireAuth) {
    const check = state.checkAuth(route.client, bearerToken(req.headers.authorization));
    if (check !== 'ok') {
      const why = check === 'missing' ? 'Authentication token is missing' : check === 'expired' ? 'Authentication token has expired' : 'Authentication token is invalid';
      return answer(failure(route.endpoint, settings.authFailureStatus, why));
    }
  }

  const counted = route.endpoint === 'batchUpdateV1' || route.endpoint === 'batchUpdateV2' || (route.endpoint === 'batchStatus' && settings.countStatusPolls);
  if (counted) {
    const waitMs = state.limiter.take(route.client, state.now(), settings.rateLimitCalls, settings.rateLimitWindowMs);
    if (waitMs > 0) {
      const message = `Rate limit exceeded: at most ${settings.rateLimitCalls} calls per ${settings.rateLimitWindowMs / 1000} seconds`;
      const headers = settings.rateLimitRetryAfter ? { 'Retry-After': String(Math.ceil(waitMs / 1000)) } : undefined;
      return answer(xmlAnswer(503, xmlFailure(message), headers));
    }
  }

  switch (route.endpoint) {
    case 'batchUpdateV1':
    case 'batchUpdateV2': {
      // applying queued batches waits while a body arrives (the processor's `receiving`)
      const body = await state.processor.receiving(readBody(req, settings.maxBatchBytes));
      if (body.kind === 'aborted') return logged('reset');
      if (body.kind === 'too-large') {
        logged(settings.refusalStatus);
        return send(req, res, { ...xmlAnswer(settings.refusalStatus, xmlFailure(`Batch size exceeds the limit: the body must be smaller than ${settings.maxBatchBytes} bytes`)), close: true });
      }
      if (decision.reset === 'after-body') return reset();
      const result = submitBatch(state, route, req, body.body, settings, decision);
      if (decision.reset === 'after-accept') return reset();
      return answer(result, false);
    }
    case 'batchStatus':
      return answer(batchStatus(state, route, url, settings));
    case 'update': {
      let bodyFields: readonly FormField[] = [];
      if (method === 'POST') {
        const body = await readBody(req, settings.maxSingleUpdatePostBytes);
        if (body.kind === 'aborted') return logged('reset');
        if (body.kind === 'too-large') {
          logged(413);
          return send(req, res, { ...xmlAnswer(413, xmlFailure(`Request too large: at most ${settings.maxSingleUpdatePostBytes} bytes by POST`)), close: true });
        }
        const decoded = decodeForm(body.body);
        if (!decoded.ok) return answer(xmlAnswer(200, xmlFailure('Unexpected error')), false);
        bodyFields = decoded.fields;
      } else if (Buffer.byteLength(req.url ?? '') > settings.maxSingleUpdateGetBytes) {
        return answer(xmlAnswer(414, xmlFailure(`Request too large: at most ${settings.maxSingleUpdateGetBytes} bytes by GET`)));
      }
      if (decision.reset === 'after-body') return reset();
      const result = singleUpdate(state, route, url, bodyFields, settings);
      if (decision.reset === 'after-accept') return reset();
      return answer(result, false);
    }
    case 'fetch':
      return answer(fetchProfile(state, route));
  }
}

function faultAnswer(endpoint: EndpointName, status: NonNullable<FaultDecision['status']>, req: IncomingMessage): Answer {
  const headers: Record<string, string> = {};
  if (status.retryAfterSeconds !== null) headers['Retry-After'] = String(status.retryAfterSeconds);
  // A careless proxy's error page: the request's headers, the bearer token among them, quoted in the body.
  const echoed = status.echoHeaders ? ` Request headers: ${req.rawHeaders.map((part, index) => (index % 2 === 0 ? `${part}: ` : `${part}; `)).join('')}` : '';
  if (status.body !== undefined) return { status: status.statusCode, body: status.body + echoed, contentType: isJsonEndpoint(endpoint) ? 'json' : 'xml', headers };
  const message = `Injected fault ${status.ruleId}: HTTP ${status.statusCode}.${echoed}`;
  return { ...failure(endpoint, status.statusCode, message), headers };
}

function textRules(settings: Readonly<ClientSettings>): BatchTextRules {
  return { stripCarriageReturn: settings.stripCarriageReturn, trimCells: settings.trimCells, keyHeaderCaseSensitive: settings.keyHeaderCaseSensitive };
}

function baseUrl(state: EmulatorState, req: IncomingMessage): string {
  if (state.options.publicUrl !== undefined) return state.options.publicUrl;
  const address = req.socket.localAddress ?? state.options.host;
  const host = req.headers.host ?? `${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort ?? 0}`;
  return `http://${host}`;
}

function statusUrl(base: string, client: string, batchId: string, style: ClientSettings['statusUrlStyle']): string {
  const path = style === 'v2path' ? 'v2/profile/batchStatus' : 'profile/batchStatus';
  const suffix = style === 'm2node' ? '&m2Node=00' : '';
  return `${base}/m2/${encodeURIComponent(client)}/${path}?batchId=${encodeURIComponent(batchId)}${suffix}`;
}

/** Checks and queues a batch body; answers as TARGET-API.md §2 documents (or as the settings choose). */
function submitBatch(state: EmulatorState, route: TargetRoute, req: IncomingMessage, body: Buffer, settings: Readonly<ClientSettings>, decision: FaultDecision): Answer {
  const refuse = (message: string): Answer => xmlAnswer(settings.refusalStatus, xmlFailure(message));
  if (settings.requireFormContentType && !/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    return refuse('Content-Type must be application/x-www-form-urlencoded');
  }
  const form = decodeForm(body);
  // [DOC] a malformed % fails the whole batch with this exact answer, whatever the settings
  if (!form.ok) return xmlAnswer(200, xmlFailure('Unexpected error'));
  const text = formValue(form.fields, 'batch');
  if (text === undefined) return refuse('Missing batch parameter: the body must start with batch=');
  const rules = textRules(settings);
  const header = readHeader(text, rules, settings.maxAttributeNameLength);
  if (!header.ok) return refuse(header.message);
  const rowCount = countRows(text, header.header.bodyStart, rules, settings.maxBatchRows);
  // [DOC] message; the status follows the other refusals
  if (rowCount === 0) return refuse('Batch is empty');
  if (rowCount > settings.maxBatchRows) return refuse(`Batch exceeds the limit of ${settings.maxBatchRows} rows`);
  if (settings.emptyOnlyBatch === 'batch-is-empty' && hasOnlyEmptyValues(text, header.header, rules)) return refuse('Batch is empty');

  const now = state.now();
  const batchId = state.nextBatchId(route.client, now);
  const url = statusUrl(baseUrl(state, req), route.client, batchId, settings.statusUrlStyle);
  const record: BatchRecord = {
    batch_id: batchId,
    client: route.client,
    version: route.endpoint === 'batchUpdateV2' ? 2 : 1,
    id_type: header.header.keyType,
    status: 'incomplete',
    batch_size: rowCount,
    consumed: 0,
    successful: 0,
    not_found: 0,
    failed: 0,
    dropped: 0,
    failed_ids: '[]',
    created_at: now,
    completed_at: null,
    forget_at: decision.forgetAfterMs === undefined ? null : now + decision.forgetAfterMs,
    status_url: url,
    // the client journals the SHA-256 of the exact body it sends: this lets a test match acceptances to batches
    body_sha256: createHash('sha256').update(body).digest('hex'),
  };
  state.store.insertBatch(record);
  state.processor.enqueueBatch({ record, text, header: header.header, rules, settings, stuck: decision.stuck, drops: decision.drops }, settings.processingDelayMs);
  return xmlAnswer(
    200,
    xmlResponse([
      ['success', true],
      ['batchStatus', url],
      ['message', 'Batch submitted for processing'],
    ]),
  );
}

/** The documented status XML; v2 lists failed rows as `<profile><id/><status>failed</status></profile>`. */
function batchStatus(state: EmulatorState, route: TargetRoute, url: URL, settings: Readonly<ClientSettings>): Answer {
  const batchId = url.searchParams.get('batchId');
  if (batchId === null || batchId === '') return xmlAnswer(400, xmlFailure('batchId is required'));
  const record = state.store.batch(batchId);
  if (record === undefined || record.client !== route.client || !state.isBatchKnown(record, state.now())) {
    return xmlAnswer(
      settings.unknownBatchStatus,
      xmlResponse([
        ['batchId', batchId],
        ['status', 'unknown'],
        ['message', 'Batch not found or expired'],
      ]),
    );
  }
  const details = url.searchParams.get('showDetails') === 'true';
  const fields: Array<readonly [string, string | number]> = [
    ['batchId', record.batch_id],
    ['status', record.status],
    ['batchSize', record.batch_size],
  ];
  if (details) {
    fields.push(['consumedCount', record.consumed], ['successfulUpdates', record.successful], ['profilesNotFound', record.not_found], ['failedUpdates', record.failed]);
  }
  let tail = '';
  if (record.version === 2 && (details || settings.failedProfilesIn === 'always')) {
    for (const id of JSON.parse(record.failed_ids) as string[]) tail += `<profile><id>${escapeXml(id)}</id><status>failed</status></profile>`;
  }
  return xmlAnswer(200, xmlResponse(fields, tail));
}

/** Single profile update (TARGET-API.md §4): never creates; applied asynchronously like a batch. */
function singleUpdate(state: EmulatorState, route: TargetRoute, url: URL, bodyFields: readonly FormField[], settings: Readonly<ClientSettings>): Answer {
  const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const query = decodeForm(Buffer.from(rawQuery, 'latin1'));
  if (!query.ok) return xmlAnswer(200, xmlFailure('Unexpected error'));
  const fields = [...query.fields, ...bodyFields];
  const thirdPartyId = formValue(fields, 'mbox3rdPartyId');
  const pcId = formValue(fields, 'mboxPC');
  const keyType: KeyType | undefined = thirdPartyId !== undefined ? 'thirdPartyId' : pcId !== undefined ? 'pcId' : undefined;
  const id = thirdPartyId ?? pcId ?? '';
  if (keyType === undefined || idProblem(keyType, id, settings) !== undefined) {
    return xmlAnswer(settings.refusalStatus, xmlFailure('A valid mbox3rdPartyId or mboxPC is required'));
  }
  const pairs = fields
    .filter((field) => field.name.startsWith('profile.') && field.name.length > 'profile.'.length)
    .map((field) => [field.name.slice('profile.'.length), field.value.toString('utf8')] as const)
    .filter(([, value]) => value !== '');
  const existing = state.findProfile(route.client, keyType === 'thirdPartyId' ? { thirdPartyId: id } : { tntId: id });
  state.processor.enqueueTask(() => {
    state.store.transaction(() =>
      applyProfileRow(state.store, { client: route.client, version: 1, keyType, batchId: undefined, now: state.now(), settings, seed: state.options.seed }, id, pairs),
    );
  }, settings.processingDelayMs);
  return xmlAnswer(
    200,
    xmlResponse([
      ['success', true],
      ['pcId', existing?.tnt_id ?? ''],
      ['message', 'Request successfully submitted'],
    ]),
  );
}

/** Profile fetch: the documented JSON, or the documented 404 bodies. */
function fetchProfile(state: EmulatorState, route: TargetRoute): Answer {
  const { kind, id } = route.fetch!;
  const key = kind === 'thirdPartyId' ? { thirdPartyId: id } : kind === 'tntId' ? { tntId: id } : { ecid: id };
  const profile = state.findProfile(route.client, key);
  if (profile === undefined) {
    const what = kind === 'thirdPartyId' ? `third party id=${id}` : kind === 'tntId' ? `mboxPC=${id}` : `marketingCloudVisitorId=${id}`;
    return jsonAnswer(404, { status: 404, message: `No profile found for client ${route.client} with ${what}` });
  }
  return jsonAnswer(200, profileDocument(profile, id));
}
