import test from 'ava';
import { DEFAULT_CLIENT_SETTINGS, resolveEmulatorOptions, startEmulator } from '../src/index.js';

test('defaults follow the documented limits', (t) => {
  const resolved = resolveEmulatorOptions();
  t.is(resolved.host, '127.0.0.1');
  t.is(resolved.port, 0);
  t.is(resolved.dbPath, ':memory:');
  t.true(Object.isFrozen(resolved));
  t.like(DEFAULT_CLIENT_SETTINGS, { rateLimitCalls: 50, rateLimitWindowMs: 60_000, maxBatchBytes: 50_000_000, maxBatchRows: 500_000, maxProfileBytes: 65_536, profileTtlMs: 14 * 86_400_000, authFailureStatus: 403 });
});

test('invalid options are coded errors naming the option and the value', (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ port: 70_000 }, 'port'],
    [{ host: '' }, 'host'],
    [{ seed: 1.5 }, 'seed'],
    [{ chunkRows: 0 }, 'chunkRows'],
    [{ publicUrl: 'not a url' }, 'publicUrl'],
    [{ settings: { rateLimitCalls: 'many' } }, 'settings.rateLimitCalls'],
    [{ settings: { authFailureStatus: 404 } }, 'settings.authFailureStatus'],
    [{ settings: { colour: 'red' } }, 'settings.colour'],
    [{ clients: { acme: { maxBatchRows: 0 } } }, 'clients.acme.maxBatchRows'],
  ];
  for (const [options, option] of cases) {
    const error = t.throws(() => resolveEmulatorOptions(options as never));
    t.like(error as object, { code: 'BULKPIPE_INVALID_OPTION', option }, option);
    t.true(error!.message.includes(option), error!.message);
  }
});

test('the caller options object is not changed', async (t) => {
  const options = { settings: { processingDelayMs: 0 }, faults: ['latency:ms=1'] };
  const copy = structuredClone(options);
  const emulator = await startEmulator(options);
  emulator.configure({ processingDelayMs: 10 });
  await emulator.close();
  t.deepEqual(options, copy);
});

test('a taken port is an error, not a hang', async (t) => {
  const first = await startEmulator();
  try {
    await t.throwsAsync(startEmulator({ port: first.port }), { code: 'EADDRINUSE' });
  } finally {
    await first.close();
  }
});
