import test from 'ava';
import { inspect } from 'node:util';
import { TargetClient } from '../src/client/target-client.js';
import { withRetry } from '../src/retry/with-retry.js';
import { startScriptedServer } from './client-test-server.js';
import type { Step } from './client-test-server.js';

const SENTINEL = 'tok-SENTINEL-4b1d6a0e9c7f2d58';

/** A server that echoes the request's Authorization header back in every answer, in every way it can. */
const echo = (status: number, wrap: (auth: string) => string, headers: Record<string, string> = {}): Step => (request, response) => {
  const auth = String(request.headers.authorization);
  response.writeHead(status, { 'content-type': 'text/xml', 'x-echo': auth, ...headers });
  response.end(wrap(auth));
};

/** Every string an error exposes: message, stack, its cause chain, JSON, util.inspect at depth. */
function everyTextOf(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) parts.push(current.message, current.stack ?? '');
    parts.push(JSON.stringify(current) ?? '', inspect(current, { depth: 10, showHidden: true }));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

test('the token never appears in any error, even when the server echoes it back', async (t) => {
  const steps: Step[] = [
    echo(400, (auth) => `<html>Bad request, you sent ${auth}</html>`),
    echo(200, (auth) => `<response><success>false</success><message>token ${auth.replace('Bearer ', '')} unexpected</message></response>`),
    echo(200, (auth) => `<response><success>true</success><batchStatus>${auth}</batchStatus></response>`),
    echo(200, (auth) => `<response><oops>${encodeURIComponent(auth)}</response>`),
    echo(403, (auth) => `Token ${JSON.stringify(auth)} is expired`),
    echo(503, (auth) => auth, { 'retry-after': '1' }),
    echo(404, (auth) => JSON.stringify({ status: 404, message: `No profile found for ${auth}` })),
    echo(200, (auth) => `<response><success>false</success><message>${auth}</message></response>`),
    'destroy',
  ];
  const server = await startScriptedServer(steps);
  const client = new TargetClient({ client: 'acme', baseUrl: server.url, token: SENTINEL });
  t.teardown(async () => {
    await client.destroy();
    await server.close();
  });
  const body = Buffer.from('batch=thirdPartyId,a\nc-1,x\n');
  const outcomes: unknown[] = [];
  const capture = async (call: () => Promise<unknown>): Promise<void> => {
    try {
      outcomes.push(await call());
    } catch (error) {
      outcomes.push(error);
    }
  };
  for (let i = 0; i < 4; i++) await capture(() => client.submitBatch({ body, apiVersion: 'v2' }));
  await capture(() => client.getBatchStatus(`${server.url}/s?batchId=1`));
  await capture(() => withRetry(() => client.submitBatch({ body, apiVersion: 'v2' }), { maxAttempts: 1 }));
  await capture(() => client.fetchProfile('c-1'));
  await capture(() => client.singleUpdate({ profile: { thirdPartyId: 'c-1' }, attributes: { a: 'b' } }));
  await capture(() => client.submitBatch({ body, apiVersion: 'v2' }));

  t.is(server.requests.length, steps.length);
  t.true(server.requests.every((r) => r.headers.authorization === `Bearer ${SENTINEL}`), 'the token was sent');
  t.is(outcomes.length, steps.length);
  for (const [i, outcome] of outcomes.entries()) {
    const text = everyTextOf(outcome);
    t.false(text.includes(SENTINEL), `outcome ${i} leaks the token: ${text.slice(0, 400)}`);
  }
  // The echoes did reach the errors, redacted: the test would notice a redaction that dropped everything.
  t.true(everyTextOf(outcomes[0]).includes('[redacted]'));
});

test('the client object and its options do not show the token', (t) => {
  const client = new TargetClient({ client: 'acme', token: SENTINEL });
  t.false(JSON.stringify(client.options).includes(SENTINEL));
  t.false(inspect(client, { depth: 10, showHidden: true }).includes(SENTINEL));
  t.true(client.options.hasToken);
  void client.destroy();
});

test('a malformed token is refused without echoing it', (t) => {
  for (const token of [`${SENTINEL}\n`, `${SENTINEL} x`, '', `${SENTINEL}\u00e9`]) {
    const error = t.throws(() => new TargetClient({ client: 'acme', token }));
    t.false(everyTextOf(error).includes(SENTINEL));
    t.regex(error?.message ?? '', /token/);
  }
});
