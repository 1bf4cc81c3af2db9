export * from './errors.js';
export * from './limits.js';
export * from './rows.js';
export * from './encoding.js';
