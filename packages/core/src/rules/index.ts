export * from './rule-result.js';
export * from './id-rules.js';
export * from './attribute-name.js';
export * from './value-policy.js';
