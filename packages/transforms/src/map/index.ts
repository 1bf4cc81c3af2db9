export { VALUE_TRANSFORMS, sha256Hex } from './value-transforms.js';
export type { ValueTransform } from './value-transforms.js';
export type { ColumnRule, ConstantColumn, DerivedColumn, Mapping, OtherColumns } from './mapping.js';
export { loadMapping, parseMapping } from './parse-mapping.js';
export { createMapStep, mapStage } from './map-step.js';
