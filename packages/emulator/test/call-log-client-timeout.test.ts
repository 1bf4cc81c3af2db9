import { request } from 'node:http';
import test from 'ava';
import { withEmulator } from './helpers.js';

// Regression: a client that timed out during an injected latency left no trace in the call log, so tests
// counting attempts server-side saw one POST fewer than the client sent.
test('a call whose client gives up during injected latency is still in the call log (as reset)', async (t) => {
  await withEmulator({ faults: ['latency:ms=2000,times=1,endpoint=batchUpdate'] }, async (emulator) => {
    await new Promise<void>((resolve) => {
      const req = request(`${emulator.url}/m2/acme/v2/profile/batchUpdate`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      req.on('error', () => resolve());
      req.end('batch=thirdPartyId,a\nc-1,1');
      setTimeout(() => req.destroy(), 100);
    });
    for (let waited = 0; emulator.calls().length === 0 && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    t.deepEqual(
      emulator.calls().map((call) => [call.endpoint, call.status]),
      [['batchUpdateV2', 'reset']],
    );
    t.is(emulator.listBatches('acme').length, 0, 'nothing was accepted');
  });
});
