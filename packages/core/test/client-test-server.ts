/**
 * A real HTTP server on port 0 that answers from a script, one step per request (undici's own test style):
 * each step either answers (status, headers, body) or destroys the socket. Every request is recorded.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export type Step =
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'destroy'
  | 'hang'
  | ((request: RecordedRequest, response: ServerResponse) => void);

export interface ScriptedServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Steps run in order; the last one repeats. */
export async function startScriptedServer(steps: Step[]): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let next = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const step = steps[Math.min(next++, steps.length - 1)];
      if (step === undefined || step === 'hang') return;
      if (step === 'destroy') {
        request.socket.destroy();
        return;
      }
      if (typeof step === 'function') {
        step(recorded, response);
        return;
      }
      response.writeHead(step.status, { 'content-type': 'text/xml;charset=UTF-8', ...step.headers });
      response.end(step.body ?? '');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const submitOk = (statusUrl: string, batchIdElement = ''): string =>
  `<response>\n  <success>true</success>\n  <batchStatus>${statusUrl}</batchStatus>${batchIdElement}\n  <message>Batch submitted for processing</message>\n</response>`;
