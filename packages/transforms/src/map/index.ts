export * from './value-transforms.js';
export * from './mapping.js';
export * from './parse-mapping.js';
export * from './map-plan.js';
export * from './map-step.js';
