/**
 * Embedding single bulkpipe stages in a pipeline you already have: parse a CSV, map and validate its rows,
 * and hand the valid profiles to your own sink — here, a line per profile on stdout. Rejects arrive on the
 * run context's side channel with their line numbers; one bad row never stops the stream.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProfileRow } from '@bulkpipe/core';
import { RunContext, mapStage, parseInput, parseMapping, validateStage } from '@bulkpipe/transforms';

const csv = [
  'Customer ID,E-mail,Tier,Internal note',
  'C-1, Ada@Example.com ,gold,vip',
  'C-2,bob@example.com,silver,',
  'C/3,carol@example.com,bronze,typo in the id',
  'C-4,,gold,no e-mail',
].join('\n');

// Rename to Target-friendly names, hash the e-mail (never send raw PII), drop the internal note.
const mapping = parseMapping({
  columns: {
    'Customer ID': { rename: 'customerId' },
    'E-mail': { rename: 'emailSha256', transforms: ['trim', 'lowercase', 'sha256'] },
    Tier: { rename: 'loyaltyTier' },
    'Internal note': false,
  },
});

const ctx = new RunContext({ maxRejectRate: 1 });
ctx.events.on('reject', (reject) => console.log(`rejected line ${reject.line}: ${reject.code}`));

await pipeline(
  parseInput(Readable.from([csv]), { sourceLabel: 'crm.csv' }, ctx),
  mapStage(mapping, ctx),
  validateStage({ idColumn: 'customerId' }, ctx),
  new Writable({
    objectMode: true,
    write(rows: ProfileRow[], _encoding, callback) {
      for (const row of rows) console.log(`${row.id} (line ${row.origins[0]?.line}): ${JSON.stringify(row.attributes)}`);
      callback();
    },
  }),
);
console.log(`read ${ctx.counters.read}, rejected ${ctx.counters.rejected}`);
