/**
 * The value transforms a mapping can apply, in the order it lists them. Empty values stay empty: an empty cell
 * means "no value", and hashing '' would give every row without an e-mail the same id.
 */
import * as crypto from 'node:crypto';

export const VALUE_TRANSFORMS = ['trim', 'lowercase', 'uppercase', 'collapseWhitespace', 'sha256'] as const;
export type ValueTransform = (typeof VALUE_TRANSFORMS)[number];

type TransformFn = (value: string) => string;

const WHITESPACE_RUNS = /\s+/g;

// crypto.hash (Node ≥ 20.12) is a one-shot digest without a Hash object per value; createHash is the fallback.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

/** SHA-256 of a string's UTF-8 bytes, or of bytes (the fast lane's), as 64 lower-case hex digits. */
export const sha256HexOf: (data: string | Uint8Array) => string =
  typeof oneShotHash === 'function' ? (data) => oneShotHash('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');

/** SHA-256 of the UTF-8 bytes, as 64 lower-case hex digits. */
export const sha256Hex: TransformFn = (value) => sha256HexOf(value);

const IMPLEMENTATIONS: Readonly<Record<ValueTransform, TransformFn>> = Object.freeze({
  trim: (value) => value.trim(),
  // Locale-independent on purpose: the same input must give the same id on every machine.
  lowercase: (value) => value.toLowerCase(),
  uppercase: (value) => value.toUpperCase(),
  collapseWhitespace: (value) => value.replace(WHITESPACE_RUNS, ' '),
  sha256: sha256Hex,
});

/** Resolves transform names to functions once, so a row runs a plain array of functions. */
export function compileTransforms(names: readonly ValueTransform[]): readonly TransformFn[] {
  return Object.freeze(names.map((name) => IMPLEMENTATIONS[name]));
}

/** Applies the transforms in order; stops as soon as the value is empty. */
export function applyTransforms(value: string, transforms: readonly TransformFn[]): string {
  for (let i = 0; i < transforms.length && value !== ''; i++) value = transforms[i]!(value);
  return value;
}
