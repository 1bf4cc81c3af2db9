/**
 * The encode worker's reads of stdin when it is a regular file (descriptor 0, read directly): a failure names
 * stdin, and a buffer is reused only when the input is not gzip (zlib holds chunks past the yield). Pipes go
 * through a socket on descriptor 0 (the CLI's stdin-worker tests).
 */
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { ErrorCode } from '@bulkpipe/core';
import { fileChunks } from '../src/parallel/stdin-chunks.js';
import type { ReadInto } from '../src/parallel/stdin-chunks.js';

/** A descriptor that answers with `script`, one step per read: bytes, an error code, or (past its end) the end. */
function scripted(script: (Buffer | string)[]): ReadInto {
  let reads = 0;
  return (buffer) => {
    const step = script[reads++];
    if (step === undefined) return 0;
    if (typeof step === 'string') throw Object.assign(new Error(`${step}: simulated`), { code: step });
    step.copy(buffer);
    return step.length;
  };
}

async function collect(readInto: ReadInto): Promise<{ text: string; memory: ArrayBufferLike[] }> {
  let text = '';
  const memory: ArrayBufferLike[] = [];
  for await (const chunk of fileChunks(64, readInto)) {
    text += chunk.toString('latin1');
    memory.push(chunk.buffer);
  }
  return { text, memory };
}

test('a read failure is INPUT_UNREADABLE naming stdin', async (t) => {
  await t.throwsAsync(collect(scripted([Buffer.from('id\n'), 'EIO'])), { code: ErrorCode.INPUT_UNREADABLE, message: /Cannot read input stdin: EIO/ });
});

test('plain input reuses one buffer; gzip gets a fresh one per read', async (t) => {
  const plain = await collect(scripted([Buffer.from('id,tier\n'), Buffer.from('c-1,gold\n')]));
  t.is(plain.text, 'id,tier\nc-1,gold\n');
  t.is(new Set(plain.memory).size, 1);
  const gz = gzipSync(Buffer.from('id,tier\nc-1,gold\n'));
  const gzip = await collect(scripted([gz.subarray(0, 10), gz.subarray(10)]));
  t.is(gzip.text, gz.toString('latin1'));
  t.is(new Set(gzip.memory).size, 2);
});
