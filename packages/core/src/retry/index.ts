export * from './time.js';
export * from './manual-time.js';
export * from './retry-after.js';
export * from './classify.js';
export * from './retry-policy.js';
export * from './with-retry.js';
export { seededRandom } from './seeded-random.js';
