import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './emulator-state.js';
import { EmulatorOptionError } from './errors.js';
import { jsonAnswer, readBody, send } from './http-util.js';
import type { Answer } from './http-util.js';
import { profileDocument } from './profiles.js';
import type { MboxCallInput } from './profiles.js';
import type { ClientSettings } from './settings.js';

/**
 * The admin API under `/_emulator/` (JSON in, JSON out): settings, tokens, faults, mbox simulation, clock,
 * processing control and state inspection. docs/emulator.md lists every route.
 */

export const ADMIN_PREFIX = '/_emulator/';

const MAX_ADMIN_BODY_BYTES = 1_000_000;

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_ADMIN_BODY_BYTES);
  if (body.kind !== 'ok') throw new AdminError(413, 'admin request body too large or aborted');
  if (body.body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.body.toString('utf8'));
  } catch {
    throw new AdminError(400, 'admin request body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AdminError(400, 'admin request body must be a JSON object');
  return value as Record<string, unknown>;
}

function positiveLimit(raw: string | null, fallback: number): number {
  const value = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > 10_000) throw new AdminError(400, `limit must be an integer 1-10000, got ${JSON.stringify(raw)}`);
  return value;
}

export async function serveAdmin(state: EmulatorState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let answer: Answer;
  try {
    answer = await route(state, req, url);
  } catch (error) {
    if (error instanceof EmulatorOptionError) answer = jsonAnswer(400, { error: { code: error.code, option: error.option, message: error.message } });
    else if (error instanceof AdminError) answer = jsonAnswer(error.status, { error: { message: error.message } });
    else answer = jsonAnswer(500, { error: { message: error instanceof Error ? error.message : String(error) } });
  }
  send(req, res, answer);
}

async function route(state: EmulatorState, req: IncomingMessage, url: URL): Promise<Answer> {
  const method = req.method ?? 'GET';
  const parts = url.pathname
    .slice(ADMIN_PREFIX.length)
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  const [head, second, third, fourth] = parts;
  const is = (wantedMethod: string, length: number): boolean => method === wantedMethod && parts.length === length;

  if (head === 'health' && is('GET', 1)) return jsonAnswer(200, { ok: true, now: new Date(state.now()).toISOString(), pending: state.processor.pendingCount, paused: state.processor.paused });

  if (head === 'settings') {
    if (is('GET', 1)) return jsonAnswer(200, state.settingsOverview());
    if (is('PATCH', 1)) return jsonAnswer(200, { defaults: state.configure((await jsonBody(req)) as Partial<ClientSettings>) });
  }

  if (head === 'clients' && second !== undefined) {
    const client = second;
    if (third === undefined) {
      if (is('GET', 2)) return jsonAnswer(200, clientSummary(state, client));
      if (is('PATCH', 2)) {
        state.configureClient(client, (await jsonBody(req)) as Partial<ClientSettings>);
        return jsonAnswer(200, clientSummary(state, client));
      }
    }
    if (third === 'tokens') {
      if (is('POST', 3)) {
        const body = await jsonBody(req);
        const options = body.expiresInMs === undefined ? {} : { expiresInMs: body.expiresInMs as number | null };
        const { token, expiresAt } = state.generateToken(client, options);
        return jsonAnswer(201, { token, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() });
      }
      if (is('DELETE', 3)) {
        state.revokeToken(client);
        return jsonAnswer(200, { revoked: true });
      }
    }
    if (third === 'mbox' && is('POST', 3)) return jsonAnswer(200, state.simulateMboxCall(client, (await jsonBody(req)) as MboxCallInput));
    if (third === 'profiles' && is('GET', 3)) {
      const limit = positiveLimit(url.searchParams.get('limit'), 100);
      const records = state.store.listProfiles(client, limit, url.searchParams.get('after') ?? '');
      return jsonAnswer(200, {
        profiles: records.map((record) => ({ tntId: record.tnt_id, thirdPartyId: record.third_party_id, ecid: record.ecid, ...profileDocument(record, record.third_party_id ?? record.tnt_id) })),
        next: records.length === limit ? records[records.length - 1]!.tnt_id : null,
      });
    }
    if (third === 'profiles' && fourth !== undefined && is('GET', 4)) {
      const document = state.getProfile(client, { thirdPartyId: fourth }) ?? state.getProfile(client, { tntId: fourth });
      return document === undefined ? jsonAnswer(404, { error: { message: `no live profile ${fourth}` } }) : jsonAnswer(200, document);
    }
    if (third === 'batches' && is('GET', 3)) return jsonAnswer(200, { batches: state.listBatches(client, positiveLimit(url.searchParams.get('limit'), 100)) });
  }

  if (head === 'batches' && second !== undefined) {
    if (is('GET', 2)) {
      const batch = state.batch(second);
      return batch === undefined ? jsonAnswer(404, { error: { message: `no batch ${second}` } }) : jsonAnswer(200, batch);
    }
    if (third === 'stuck' && is('POST', 3)) return found(state.markBatchStuck(second), second, () => state.batch(second));
    if (third === 'forget' && is('POST', 3)) return found(state.forgetBatch(second), second, () => state.batch(second));
  }

  if (head === 'faults') {
    if (is('GET', 1)) return jsonAnswer(200, { faults: state.faults.list() });
    if (is('POST', 1)) {
      const body = await jsonBody(req);
      const rule = typeof body.spec === 'string' ? state.addFault(body.spec) : state.addFault(body as never);
      return jsonAnswer(201, rule);
    }
    if (is('DELETE', 1)) {
      state.clearFaults();
      return jsonAnswer(200, { faults: [] });
    }
    if (second !== undefined && is('DELETE', 2)) return state.removeFault(second) ? jsonAnswer(200, { removed: second }) : jsonAnswer(404, { error: { message: `no fault ${second}` } });
  }

  if (head === 'processing' && method === 'POST' && parts.length === 2) {
    if (second === 'pause') state.processor.pause();
    else if (second === 'resume') state.processor.resume();
    else if (second === 'wait') await state.processor.waitForIdle();
    else throw new AdminError(404, `no admin route ${method} ${url.pathname}`);
    return jsonAnswer(200, { pending: state.processor.pendingCount, paused: state.processor.paused });
  }

  if (head === 'clock') {
    if (is('GET', 1)) return jsonAnswer(200, { now: new Date(state.now()).toISOString(), epochMs: state.now() });
    if (is('POST', 1)) {
      const body = await jsonBody(req);
      const epochMs = state.advanceClock(body.advanceMs as number);
      return jsonAnswer(200, { now: new Date(epochMs).toISOString(), epochMs });
    }
  }

  if (head === 'calls' && is('GET', 1)) return jsonAnswer(200, { calls: state.calls() });

  if (head === 'reset' && is('POST', 1)) {
    const body = await jsonBody(req);
    state.reset({ everything: body.everything === true });
    return jsonAnswer(200, { reset: true });
  }

  throw new AdminError(404, `no admin route ${method} ${url.pathname}`);
}

function found(ok: boolean, batchId: string, describe: () => unknown): Answer {
  return ok ? jsonAnswer(200, describe()) : jsonAnswer(404, { error: { message: `no batch ${batchId}` } });
}

function clientSummary(state: EmulatorState, client: string): unknown {
  const settings = state.settingsFor(client);
  const record = state.store.client(client);
  return {
    client,
    settings,
    auth: {
      requireAuth: settings.requireAuth,
      hasToken: record?.token_hash != null,
      tokenExpiresAt: record?.token_expires_at == null ? null : new Date(record.token_expires_at).toISOString(),
    },
    profiles: state.store.countProfiles(client),
    rateLimit: { used: state.limiter.used(client, state.now(), settings.rateLimitWindowMs), limit: settings.rateLimitCalls, windowMs: settings.rateLimitWindowMs },
  };
}
