import test from 'ava';
import { ErrorCode } from '../src/errors.js';
import { classify } from '../src/retry/classify.js';
import { TargetError } from '../src/client/target-error.js';

// Regression: a certificate that does not verify was a retryable network error, so `bulkpipe run` against a
// self-signed or mis-named endpoint retried every batch for ~1.5 minutes before saying why. It cannot succeed
// on a later attempt: the run stops, as for a rejected token.
test('a TLS certificate that does not verify is fatal for the run, not retried', (t) => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
    t.is(classify(withCode(code)), 'fatal-config', code);
    t.is(classify(new TypeError('fetch failed', { cause: withCode(code) })), 'fatal-config', `wrapped ${code}`);
    t.is(classify(new TargetError(ErrorCode.TARGET_NETWORK, `POST … failed (${code})`, {}, { networkCode: code })), 'fatal-config', `client error ${code}`);
  }
  // other network errors still retry
  t.is(classify(new TargetError(ErrorCode.TARGET_NETWORK, 'reset', {}, { networkCode: 'ECONNRESET' })), 'retry');
});
