import { invalidOption } from './errors.js';
import { seededRandom } from '@bulkpipe/core';
import { fnv1a32 } from './hash.js';

/**
 * Fault injection for everyone's resilience tests. A rule matches calls by client, endpoint, method and a
 * path pattern; `skip`, `times` and `probability` (drawn from a PRNG seeded per rule) decide which matching
 * calls it hits, so the same seed and the same call sequence always fail the same way.
 */

export const FAULT_KINDS = ['latency', 'status', 'reset', 'stuck', 'drop-rows', 'forget-status'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The endpoints a rule can name; `batchUpdate` means v1 and v2. */
export const FAULT_ENDPOINTS = ['any', 'batchUpdate', 'batchUpdateV1', 'batchUpdateV2', 'batchStatus', 'update', 'fetch'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** Which concrete endpoint a call hit. */
export type ResetPoint = 'before-body' | 'after-body' | 'after-accept';

export type EndpointName = 'batchUpdateV1' | 'batchUpdateV2' | 'batchStatus' | 'update' | 'fetch';

export interface FaultRuleInput {
  /**
   * - `latency`: wait `latencyMs` before answering (beyond a client's timeout = a slow response).
   * - `status`: answer `statusCode` (500, 503, 429 with `Retry-After: retryAfterSeconds`…) with `body`.
   * - `reset`: destroy the connection `when` `before-body` (nothing read), `after-body` (body read, batch not
   *   queued) or `after-accept` (batch queued, answer never sent: the client cannot know it was accepted).
   * - `stuck`: the accepted batch goes `stuck` and is never applied.
   * - `drop-rows`: a `fraction` of the batch's rows is silently not applied (still counted as successful).
   * - `forget-status`: the batch's status becomes unknown `afterMs` after submission.
   */
  kind: FaultKind;
  /** Only this client code. @default every client */
  client?: string;
  /** Only this endpoint. @default 'any' */
  endpoint?: FaultEndpoint;
  /** Only this HTTP method (GET, POST). @default every method */
  method?: string;
  /** Only paths matching this regular expression (source text). @default every path */
  path?: string;
  /** Chance that a matching call is hit, drawn from the seeded PRNG. @default 1 */
  probability?: number;
  /** Let the first N matching calls through. @default 0 */
  skip?: number;
  /** Hit at most N calls (a "run of 503s"); null = no end. @default null */
  times?: number | null;
  /** `latency`: milliseconds to wait. @default 1000 */
  latencyMs?: number;
  /** `status`: the HTTP status. @default 503 */
  statusCode?: number;
  /** `status`: value of Retry-After in seconds; default 1 for 429 and 503, none otherwise. */
  retryAfterSeconds?: number | null;
  /** `status`: the response body. @default a `success=false` XML naming the fault */
  body?: string;
  /**
   * `status`: quote the request's headers, `Authorization` included, in the answer's body, as some proxies'
   * error pages do, so tests can prove a client never lets an echoed token reach its output. @default false
   */
  echoHeaders?: boolean;
  /** `reset`: when the connection is destroyed. @default 'before-body' */
  when?: ResetPoint;
  /** `drop-rows`: the fraction of rows to drop, 0..1. @default 0.001 (Adobe's "up to 0.1 %") */
  fraction?: number;
  /** `forget-status`: milliseconds after submission when the status is forgotten. @default 0 */
  afterMs?: number;
}

export interface FaultRule extends Readonly<Required<Omit<FaultRuleInput, 'client' | 'method' | 'path' | 'body' | 'retryAfterSeconds' | 'times'>>> {
  readonly id: string;
  readonly client: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly body: string | undefined;
  readonly retryAfterSeconds: number | null;
  readonly times: number | null;
}

/** What the rules decided for one call. */
export interface FaultDecision {
  latencyMs: number;
  status: { statusCode: number; retryAfterSeconds: number | null; body: string | undefined; echoHeaders: boolean; ruleId: string } | undefined;
  reset: ResetPoint | undefined;
  stuck: boolean;
  /** Per drop rule that fired: the fraction and a salt that makes the choice of rows repeatable. */
  drops: Array<{ fraction: number; salt: number }>;
  forgetAfterMs: number | undefined;
  /** Ids of the rules that fired, for the request log. */
  fired: string[];
}

const NUMBER_KEYS = new Set(['probability', 'skip', 'times', 'latencyMs', 'statusCode', 'retryAfterSeconds', 'fraction', 'afterMs']);
const BOOLEAN_KEYS = new Set(['echoHeaders']);
const SPEC_ALIASES: Record<string, string> = { ms: 'latencyMs', code: 'statusCode', status: 'statusCode', retryAfter: 'retryAfterSeconds', p: 'probability' };

/**
 * Parses the CLI form `kind[:key=value,key=value…]`, e.g. `status:code=503,times=3,endpoint=batchUpdate`,
 * `latency:ms=5000`, `reset:when=after-body`, `drop-rows:fraction=0.001`, `stuck:probability=0.5`.
 */
export function parseFaultSpec(spec: string): FaultRuleInput {
  const colon = spec.indexOf(':');
  const kind = (colon === -1 ? spec : spec.slice(0, colon)).trim();
  const input: Record<string, unknown> = { kind };
  if (colon !== -1) {
    for (const pair of spec.slice(colon + 1).split(',')) {
      if (pair.trim() === '') continue;
      const equals = pair.indexOf('=');
      if (equals === -1) throw invalidOption('fault', 'key=value pairs after "kind:"', spec);
      const rawKey = pair.slice(0, equals).trim();
      const key = SPEC_ALIASES[rawKey] ?? rawKey;
      const value = pair.slice(equals + 1).trim();
      input[key] = NUMBER_KEYS.has(key) ? (value === 'null' ? null : Number(value)) : BOOLEAN_KEYS.has(key) && (value === 'true' || value === 'false') ? value === 'true' : value;
    }
  }
  return resolveFaultRule(input, 'check').input;
}

function check(ok: boolean, option: string, expected: string, got: unknown): void {
  if (!ok) throw invalidOption(option, expected, got);
}

/** Validates a rule and fills its defaults; `id` names it in errors, the admin API and the request log. */
export function resolveFaultRule(raw: unknown, id: string): { rule: FaultRule; input: FaultRuleInput } {
  const where = `faults[${id}]`;
  check(raw !== null && typeof raw === 'object' && !Array.isArray(raw), where, 'a fault rule object or spec string', raw);
  const input = raw as FaultRuleInput;
  const known = new Set(['kind', 'client', 'endpoint', 'method', 'path', 'probability', 'skip', 'times', 'latencyMs', 'statusCode', 'retryAfterSeconds', 'body', 'echoHeaders', 'when', 'fraction', 'afterMs', 'id']);
  for (const key of Object.keys(input)) check(known.has(key), `${where}.${key}`, `one of ${[...known].join(', ')}`, key);
  check((FAULT_KINDS as readonly string[]).includes(input.kind), `${where}.kind`, `one of ${FAULT_KINDS.join(', ')}`, input.kind);
  const endpoint = input.endpoint ?? 'any';
  check((FAULT_ENDPOINTS as readonly string[]).includes(endpoint), `${where}.endpoint`, `one of ${FAULT_ENDPOINTS.join(', ')}`, endpoint);
  check(input.client === undefined || (typeof input.client === 'string' && input.client !== ''), `${where}.client`, 'a client code', input.client);
  check(input.method === undefined || typeof input.method === 'string', `${where}.method`, 'an HTTP method', input.method);
  if (input.path !== undefined) {
    check(typeof input.path === 'string', `${where}.path`, 'a regular expression source', input.path);
    try {
      new RegExp(input.path);
    } catch {
      check(false, `${where}.path`, 'a valid regular expression', input.path);
    }
  }
  const probability = input.probability ?? 1;
  check(typeof probability === 'number' && probability >= 0 && probability <= 1, `${where}.probability`, 'a number in [0, 1]', probability);
  const skip = input.skip ?? 0;
  check(Number.isSafeInteger(skip) && skip >= 0, `${where}.skip`, 'a non-negative integer', skip);
  const times = input.times ?? null;
  check(times === null || (Number.isSafeInteger(times) && times >= 1), `${where}.times`, 'a positive integer or null', times);
  const latencyMs = input.latencyMs ?? 1000;
  check(Number.isSafeInteger(latencyMs) && latencyMs >= 0, `${where}.latencyMs`, 'a non-negative integer of milliseconds', latencyMs);
  const statusCode = input.statusCode ?? 503;
  check(Number.isInteger(statusCode) && statusCode >= 200 && statusCode <= 599, `${where}.statusCode`, 'an HTTP status 200-599', statusCode);
  const retryDefault = statusCode === 429 || statusCode === 503 ? 1 : null;
  const retryAfterSeconds = input.retryAfterSeconds === undefined ? retryDefault : input.retryAfterSeconds;
  check(retryAfterSeconds === null || (Number.isSafeInteger(retryAfterSeconds) && retryAfterSeconds >= 0), `${where}.retryAfterSeconds`, 'a non-negative integer or null', retryAfterSeconds);
  check(input.body === undefined || typeof input.body === 'string', `${where}.body`, 'a string', input.body);
  const echoHeaders = input.echoHeaders ?? false;
  check(typeof echoHeaders === 'boolean', `${where}.echoHeaders`, 'a boolean', echoHeaders);
  const when = input.when ?? 'before-body';
  check(when === 'before-body' || when === 'after-body' || when === 'after-accept', `${where}.when`, "'before-body', 'after-body' or 'after-accept'", when);
  const fraction = input.fraction ?? 0.001;
  check(typeof fraction === 'number' && fraction >= 0 && fraction <= 1, `${where}.fraction`, 'a number in [0, 1]', fraction);
  const afterMs = input.afterMs ?? 0;
  check(Number.isSafeInteger(afterMs) && afterMs >= 0, `${where}.afterMs`, 'a non-negative integer of milliseconds', afterMs);
  const rule: FaultRule = Object.freeze({
    id,
    kind: input.kind,
    client: input.client,
    endpoint,
    method: input.method?.toUpperCase(),
    path: input.path,
    probability,
    skip,
    times,
    latencyMs,
    statusCode,
    retryAfterSeconds,
    body: input.body,
    echoHeaders,
    when,
    fraction,
    afterMs,
  });
  return { rule, input };
}

function endpointMatches(wanted: FaultEndpoint, actual: EndpointName): boolean {
  if (wanted === 'any') return true;
  if (wanted === 'batchUpdate') return actual === 'batchUpdateV1' || actual === 'batchUpdateV2';
  return wanted === actual;
}

interface LiveRule {
  readonly rule: FaultRule;
  readonly pattern: RegExp | undefined;
  readonly random: () => number;
  matched: number;
  fired: number;
}

/** The active rules, their counters and PRNGs. */
export class FaultEngine {
  readonly #seed: number;
  #rules: LiveRule[] = [];
  #nextId = 1;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** Adds a rule (object or spec string) and returns it with its id. */
  add(input: FaultRuleInput | string): FaultRule {
    const id = `f${this.#nextId}`;
    const { rule } = resolveFaultRule(typeof input === 'string' ? parseFaultSpec(input) : input, id);
    this.#nextId += 1;
    this.#rules.push({
      rule,
      pattern: rule.path === undefined ? undefined : new RegExp(rule.path),
      random: seededRandom((this.#seed ^ fnv1a32(id)) >>> 0),
      matched: 0,
      fired: 0,
    });
    return rule;
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((live) => live.rule.id !== id);
    return this.#rules.length !== before;
  }

  clear(): void {
    this.#rules = [];
  }

  list(): Array<FaultRule & { matched: number; fired: number }> {
    return this.#rules.map((live) => ({ ...live.rule, matched: live.matched, fired: live.fired }));
  }

  /** Decides the faults of one call; counters advance only for rules that match it. */
  evaluate(call: { client: string; endpoint: EndpointName; method: string; path: string }): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, status: undefined, reset: undefined, stuck: false, drops: [], forgetAfterMs: undefined, fired: [] };
    for (const live of this.#rules) {
      const { rule } = live;
      if (rule.client !== undefined && rule.client !== call.client) continue;
      if (!endpointMatches(rule.endpoint, call.endpoint)) continue;
      if (rule.method !== undefined && rule.method !== call.method) continue;
      if (live.pattern !== undefined && !live.pattern.test(call.path)) continue;
      live.matched += 1;
      if (live.matched <= rule.skip) continue;
      if (rule.times !== null && live.fired >= rule.times) continue;
      // drawn only for probabilistic rules, so adding a certain rule does not shift another rule's sequence
      if (rule.probability < 1 && live.random() >= rule.probability) continue;
      live.fired += 1;
      decision.fired.push(rule.id);
      switch (rule.kind) {
        case 'latency':
          decision.latencyMs += rule.latencyMs;
          break;
        case 'status':
          decision.status ??= { statusCode: rule.statusCode, retryAfterSeconds: rule.retryAfterSeconds, body: rule.body, echoHeaders: rule.echoHeaders, ruleId: rule.id };
          break;
        case 'reset':
          decision.reset ??= rule.when;
          break;
        case 'stuck':
          decision.stuck = true;
          break;
        case 'drop-rows':
          decision.drops.push({ fraction: rule.fraction, salt: (this.#seed ^ fnv1a32(`${rule.id}#${live.fired}`)) >>> 0 });
          break;
        case 'forget-status':
          decision.forgetAfterMs = Math.min(decision.forgetAfterMs ?? Number.POSITIVE_INFINITY, rule.afterMs);
          break;
      }
    }
    return decision;
  }
}
