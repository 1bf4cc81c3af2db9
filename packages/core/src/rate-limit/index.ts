export * from './call-budget.js';
export * from './rate-limiter.js';
