export * from './step.js';
export * from './step-stream.js';
export * from './run-context.js';
