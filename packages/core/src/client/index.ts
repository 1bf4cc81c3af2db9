export * from './xml.js';
export * from './responses.js';
export * from './redact.js';
export * from './target-error.js';
export * from './client-options.js';
export * from './target-client.js';
