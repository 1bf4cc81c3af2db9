export { resolveValidateOptions } from './validate-options.js';
export type { ResolvedValidateOptions, ValidateOptions } from './validate-options.js';
export { createValidateStep, validateStage } from './validate-step.js';
