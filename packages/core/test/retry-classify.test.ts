import test from 'ava';
import { BulkpipeError, ErrorCode } from '../src/errors.js';
import { classify, classifyStatus } from '../src/retry/classify.js';
import { TargetError } from '../src/client/target-error.js';

test('2xx responses are ok, but success=false on a 200 is a failure', (t) => {
  t.is(classify({ statusCode: 200 }), 'ok');
  t.is(classify({ statusCode: 204 }), 'ok');
  t.is(classify({ statusCode: 200, success: false }), 'fail');
  t.is(classify({ statusCode: 200, success: true }), 'ok');
});

test('429, 408, 503 and other 5xx retry; 501 and 505 do not', (t) => {
  for (const status of [408, 429, 500, 502, 503, 504, 507, 599]) t.is(classifyStatus(status), 'retry', String(status));
  t.is(classifyStatus(501), 'fail');
  t.is(classifyStatus(505), 'fail');
});

test('401 and 403 are fatal for the run; other 4xx and 3xx fail without retry', (t) => {
  t.is(classifyStatus(401), 'fatal-config');
  t.is(classifyStatus(403), 'fatal-config');
  for (const status of [400, 404, 405, 409, 413, 414, 422, 301, 302, 100]) t.is(classifyStatus(status), 'fail', String(status));
});

test('network errors retry: Node socket codes, undici codes, fetch-style wrapped causes', (t) => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
    t.is(classify(withCode(code)), 'retry', code);
  }
  t.is(classify(new TypeError('fetch failed', { cause: withCode('ECONNRESET') })), 'retry');
});

test('undici errors that are bugs or deliberate stops do not retry, nor do aborts', (t) => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  for (const code of ['UND_ERR_ABORTED', 'UND_ERR_INVALID_ARG', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']) t.is(classify(withCode(code)), 'fail', code);
  t.is(classify(new DOMException('stop', 'AbortError')), 'fail');
  t.is(classify(new DOMException('late', 'TimeoutError')), 'fail');
  t.is(classify(new Error('something else')), 'fail');
  t.is(classify('a string'), 'fail');
  t.is(classify(undefined), 'fail');
});

test('bulkpipe errors classify by code, HTTP status errors by their status', (t) => {
  t.is(classify(new TargetError(ErrorCode.TARGET_NETWORK, 'reset')), 'retry');
  t.is(classify(new TargetError(ErrorCode.TARGET_AUTH, 'token', { statusCode: 403 })), 'fatal-config');
  t.is(classify(new TargetError(ErrorCode.TARGET_REJECTED, 'Unexpected error', { statusCode: 200 })), 'fail');
  t.is(classify(new TargetError(ErrorCode.TARGET_BAD_RESPONSE, 'html', { statusCode: 200 })), 'fail');
  t.is(classify(new TargetError(ErrorCode.TARGET_HTTP_STATUS, '503', { statusCode: 503 })), 'retry');
  t.is(classify(new TargetError(ErrorCode.TARGET_HTTP_STATUS, '429', { statusCode: 429 })), 'retry');
  t.is(classify(new TargetError(ErrorCode.TARGET_HTTP_STATUS, '400', { statusCode: 400 })), 'fail');
  t.is(classify(new BulkpipeError(ErrorCode.INVALID_OPTION, 'bad')), 'fatal-config');
  t.is(classify(new BulkpipeError(ErrorCode.ROW_MALFORMED, 'row')), 'fail');
});
