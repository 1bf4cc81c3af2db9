import test from 'ava';
import { parseFaultSpec } from '../src/index.js';
import { postBatch, rawRequest, withEmulator } from './helpers.js';

const SENTINEL = 'Bearer sentinel-token-4f1c';

test('a status fault with echoHeaders quotes the request headers, Authorization included, like a careless proxy', async (t) => {
  await withEmulator({ faults: ['status:code=400,echoHeaders=true,times=1', 'status:code=502,endpoint=fetch,echoHeaders=true'] }, async (emulator) => {
    const echoed = await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1', { Authorization: SENTINEL });
    t.is(echoed.status, 400);
    t.true(echoed.body.includes(`Authorization: ${SENTINEL}`));
    t.regex(echoed.body, /<success>false<\/success>/);
    const plain = await postBatch(emulator, 'acme', 2, 'batch=thirdPartyId,a\nc-1,1', { Authorization: SENTINEL });
    t.is(plain.status, 200);
    t.false(plain.body.includes(SENTINEL));
    const fetched = await rawRequest(`${emulator.url}/rest/v1/profiles/thirdPartyId/c-1?client=acme`, { headers: { Authorization: SENTINEL } });
    t.is(fetched.status, 502);
    t.true(fetched.body.includes(SENTINEL));
  });
});

test('echoHeaders is off by default and must be a boolean', (t) => {
  t.is(parseFaultSpec('status:code=500').echoHeaders, undefined);
  t.is(parseFaultSpec('status:code=500,echoHeaders=true').echoHeaders, true);
  t.throws(() => parseFaultSpec('status:code=500,echoHeaders=yes'), { message: /echoHeaders/ });
});
