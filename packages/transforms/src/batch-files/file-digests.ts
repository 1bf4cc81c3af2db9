/**
 * SHA-256 of files on a helper thread: the batch-files sink hashes each batch file it has just written there
 * (read back from the page cache, 1 MiB at a time), so the main thread — which builds the batches, alone during
 * the drain — does not. The thread starts on the first file, is unref'd (it never keeps the process alive) and
 * holds ~1 MiB besides its own ~11 MB.
 */
import { Worker } from 'node:worker_threads';

/** The helper, as CommonJS source (`eval`): one file per message, answered in order. */
const HELPER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const buffer = Buffer.allocUnsafeSlow(1 << 20);
parentPort.on('message', (path) => {
  let fd;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
    parentPort.postMessage({ sha256: hash.digest('hex') });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

interface Answer {
  sha256?: string;
  error?: string;
}

export class FileDigests {
  private worker: Worker | undefined;
  /** Callers waiting, in the order their paths went (the helper answers in order). */
  private readonly waiting: { resolve: (sha256: string) => void; reject: (error: Error) => void; path: string }[] = [];
  private failure: Error | undefined;

  /** The hex SHA-256 of the file's bytes. */
  digest(path: string): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, path });
      this.start().postMessage(path);
    });
  }

  /** Stops the helper; digests still waiting fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the file digest helper was closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(HELPER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const next = this.waiting.shift();
      if (next === undefined) return;
      if (answer.sha256 !== undefined) next.resolve(answer.sha256);
      else next.reject(new Error(`cannot read ${next.path} back to hash it: ${answer.error ?? 'no answer'}`));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      if (this.worker === worker) this.failAll(new Error('the file digest helper stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }
}
