export * from './validate-options.js';
export * from './header-plan.js';
export * from './validate-step.js';
