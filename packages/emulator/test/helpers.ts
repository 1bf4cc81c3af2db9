import { request } from 'node:http';
import { startEmulator } from '../src/index.js';
import type { EmulatorOptions, RunningEmulator } from '../src/index.js';

/** A raw HTTP answer: status, headers and the body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends bytes exactly as given, like `curl -X POST --data-binary @file URL` does (same Content-Type), with
 * node:http rather than any bulkpipe code.
 */
export function rawRequest(url: string, options: { method?: string; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) }),
          Accept: '*/*',
          'User-Agent': 'curl/8.5.0',
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function postBatch(emulator: RunningEmulator, client: string, version: 1 | 2, body: Buffer | string, headers?: Record<string, string>): Promise<RawAnswer> {
  const path = version === 2 ? `/m2/${client}/v2/profile/batchUpdate` : `/m2/${client}/profile/batchUpdate`;
  return rawRequest(`${emulator.url}${path}`, headers === undefined ? { body } : { body, headers });
}

/** The text of `<name>…</name>` in an XML answer. */
export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export function statusUrlOf(answer: RawAnswer): string {
  const url = xmlField(answer.body, 'batchStatus');
  if (url === undefined) throw new Error(`no batchStatus in ${answer.status} ${answer.body}`);
  return url.replaceAll('&amp;', '&');
}

/** POSTs a batch that must be accepted, waits until it is applied, and returns the detailed status XML. */
export async function submitAndWait(emulator: RunningEmulator, client: string, version: 1 | 2, body: string, headers?: Record<string, string>): Promise<{ statusUrl: string; status: RawAnswer; batchId: string }> {
  const answer = await postBatch(emulator, client, version, body, headers);
  const statusUrl = statusUrlOf(answer);
  await emulator.waitForIdle();
  const status = await rawRequest(`${statusUrl}&showDetails=true`, headers?.Authorization === undefined ? {} : { headers: { Authorization: headers.Authorization } });
  return { statusUrl, status, batchId: new URL(statusUrl).searchParams.get('batchId')! };
}

export function counts(xml: string): Record<string, number | string | undefined> {
  const number = (name: string): number | undefined => {
    const text = xmlField(xml, name);
    return text === undefined ? undefined : Number(text);
  };
  return {
    status: xmlField(xml, 'status'),
    batchSize: number('batchSize'),
    consumedCount: number('consumedCount'),
    successfulUpdates: number('successfulUpdates'),
    profilesNotFound: number('profilesNotFound'),
    failedUpdates: number('failedUpdates'),
  };
}

export async function fetchProfile(emulator: RunningEmulator, client: string, path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await rawRequest(`${emulator.url}/rest/v1/profiles/${path}?client=${encodeURIComponent(client)}`);
  return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> };
}

/** The attribute values of a live profile fetched over HTTP, or undefined when it is 404. */
export async function attributesOf(emulator: RunningEmulator, client: string, path: string): Promise<Record<string, string> | undefined> {
  const { status, json } = await fetchProfile(emulator, client, path);
  if (status === 404) return undefined;
  const attributes = json.profileAttributes as Record<string, { value: string }>;
  return Object.fromEntries(Object.entries(attributes).map(([name, { value }]) => [name, value]));
}

/** Starts an emulator for one test and closes it when the test ends. */
export async function withEmulator<T>(options: EmulatorOptions, work: (emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator(options);
  try {
    return await work(emulator);
  } finally {
    await emulator.close();
  }
}
