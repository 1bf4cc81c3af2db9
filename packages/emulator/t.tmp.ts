import { Store } from './src/store.js';
import { applyProfileRow } from './src/profiles.js';
import { DEFAULT_CLIENT_SETTINGS } from './src/settings.js';
const store = new Store(process.env.DB ?? ':memory:'); if (process.env.CACHE) store.db.pragma('cache_size = -' + process.env.CACHE); if (process.env.TEMP) store.db.pragma('temp_store = MEMORY');
const names = ['thirdPartyId', 'loyaltyTier', 'lifetimeValue', 'city', 'segment', 'lastOrder', 'preferences', 'note'];
const rows: string[][] = [];
for (let i = 0; i < 300000; i++) rows.push([`c-${String(i).padStart(9, '0')}`, 'gold', (i * 7.31).toFixed(2), 'München', `seg-${i % 97}`, `2026-11-01`, `pref+a&b-${i}`, 'x'.repeat(60) + i]);
const t = performance.now();
const write = { client: 'bench', version: 2 as const, keyType: 'thirdPartyId' as const, batchId: 'b1', now: Date.now(), settings: DEFAULT_CLIENT_SETTINGS, seed: 1 };
for (let c = 0; c < rows.length; c += 10000) {
  store.transaction(() => {
    for (let r = c; r < c + 10000; r++) {
      const cells = rows[r]!;
      const pairs: Array<readonly [string, string]> = [];
      for (let k = 1; k < cells.length; k++) pairs.push([names[k]!, cells[k]!]);
      applyProfileRow(store, write, cells[0]!, pairs);
    }
  });
}
console.log('apply rows/s', Math.round(300000 / ((performance.now() - t) / 1000)));
console.log(store.db.prepare('EXPLAIN QUERY PLAN SELECT * FROM profiles WHERE client = ? AND third_party_id = ?').all('a', 'b'));
