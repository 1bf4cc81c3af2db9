/**
 * The crash harness's hands: an HTTP proxy between `bulkpipe run` and the emulator that SIGKILLs the run at an
 * exact protocol moment — a submission on the wire but not yet at Target, a submission Target accepted whose
 * answer never reaches the client, just after an answer arrived, or at a status poll. A timer kill (any moment
 * of startup, parsing or uploading) needs no proxy. The proxy keeps the Host header, so the status URLs the
 * emulator returns point back at the proxy and polls pass through it too.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type KillTrigger =
  /** SIGKILL when the n-th submission of this process arrives, before it is forwarded: Target never sees it. */
  | { kind: 'before-accept'; n: number }
  /** Forward the n-th submission; once Target accepted it, SIGKILL before the answer is relayed (answer lost). */
  | { kind: 'after-accept'; n: number }
  /** Relay the answer to the n-th accepted submission, then SIGKILL after `delayMs` (around the journal write). */
  | { kind: 'after-answer'; n: number; delayMs: number }
  /** SIGKILL when the n-th status poll of this process arrives. */
  | { kind: 'poll'; n: number };

export interface KillProxy {
  readonly url: string;
  /** Arms a trigger for one process; `undefined` forwards everything (the final resume). */
  arm(child: ChildProcess, trigger: KillTrigger | undefined): void;
  /** Whether the armed trigger fired. */
  readonly fired: boolean;
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(undefined));
    stream.on('aborted', () => resolve(undefined));
  });
}

interface Upstream {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream | undefined> {
  return new Promise((resolve) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (res) => {
        void readAll(res).then((answer) => resolve(answer === undefined ? undefined : { status: res.statusCode ?? 0, headers: res.headers, body: answer }));
      },
    );
    // an injected reset: the client sees a reset too
    upstream.on('error', () => resolve(undefined));
    upstream.end(body);
  });
}

function kill(child: ChildProcess | undefined): void {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function startKillProxy(targetUrl: string): Promise<KillProxy> {
  const target = new URL(targetUrl);
  let child: ChildProcess | undefined;
  let trigger: KillTrigger | undefined;
  let fired = false;
  let submissions = 0;
  let accepted = 0;
  let polls = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const owner = child;
    const isSubmission = /\/batchUpdate$/.test(req.url?.split('?')[0] ?? '');
    const isPoll = /\/batchStatus$/.test(req.url?.split('?')[0] ?? '');
    const body = await readAll(req);
    if (body === undefined) return;
    const armed = owner === child && !fired ? trigger : undefined;
    const fire = (): void => {
      fired = true;
      kill(owner);
    };

    // calls of an earlier, killed process still arriving do not count for the armed one
    if (isSubmission && owner === child) submissions += 1;
    if (isPoll && owner === child) polls += 1;
    if ((armed?.kind === 'before-accept' && isSubmission && submissions === armed.n) || (armed?.kind === 'poll' && isPoll && polls === armed.n)) {
      fire();
      req.socket.destroy();
      return;
    }
    const answer = await forward(target, req, body);
    if (answer === undefined) {
      req.socket.destroy();
      return;
    }
    const wasAccepted = isSubmission && answer.status === 200 && answer.body.includes('<success>true</success>');
    if (wasAccepted && owner === child) accepted += 1;
    if (armed?.kind === 'after-accept' && wasAccepted && accepted === armed.n) {
      fire();
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    if (armed?.kind === 'after-answer' && wasAccepted && accepted === armed.n) setTimeout(fire, armed.delayMs);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arm(nextChild, nextTrigger) {
      child = nextChild;
      trigger = nextTrigger;
      fired = false;
      submissions = 0;
      accepted = 0;
      polls = 0;
    },
    get fired() {
      return fired;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
