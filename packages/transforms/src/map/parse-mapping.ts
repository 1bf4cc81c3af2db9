/**
 * Reads a mapping file strictly: an unknown key or a wrong type is an error naming the JSON path and the bad
 * value, because a typo in a mapping ("renam") silently ignored would send the wrong data to a production account.
 */
import { readFileSync } from 'node:fs';
import { BulkpipeError, ErrorCode, ID_TYPES, loneSurrogateIndex, normalizeAttributeName } from '@bulkpipe/core';
import type { IdType } from '@bulkpipe/core';
import type { ColumnRule, ConstantColumn, DerivedColumn, Mapping, OtherColumns } from './mapping.js';
import { VALUE_TRANSFORMS } from './value-transforms.js';
import type { ValueTransform } from './value-transforms.js';

const TOP_KEYS = ['description', 'idColumn', 'idType', 'columns', 'otherColumns', 'derive', 'constants'] as const;
const COLUMN_KEYS = ['rename', 'transforms'] as const;
const DERIVE_KEYS = ['from', 'transforms'] as const;
const OTHER_COLUMNS: readonly OtherColumns[] = ['keep', 'drop'];

type Json = unknown;
type JsonObject = Record<string, Json>;

/** Reads and parses a mapping file. Synchronous: it runs once, before any input is read. */
export function loadMapping(path: string): Mapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BulkpipeError(ErrorCode.INVALID_MAPPING, `Cannot read mapping file ${path}: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  // Editors on Windows often save JSON with a BOM, which JSON.parse refuses.
  return parseMapping(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path);
}

/**
 * Validates a mapping given as JSON text or as an already-parsed value. `label` names it in messages.
 * Throws INVALID_MAPPING naming the JSON path (`$.columns["E-mail"].transforms[1]`) and the bad value.
 */
export function parseMapping(json: string | Json, label = 'mapping'): Mapping {
  let root: Json = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json) as Json;
    } catch (error) {
      throw new BulkpipeError(ErrorCode.INVALID_MAPPING, `Mapping ${label} is not valid JSON: ${(error as Error).message}`, { source: label }, { cause: error });
    }
  }
  const reader = new MappingReader(label);
  const top = reader.object(root, '$');
  reader.onlyKeys(top, '$', TOP_KEYS);
  if (top.description !== undefined) reader.string(top.description, '$.description');

  const idColumn = top.idColumn === undefined ? undefined : reader.nonEmptyString(top.idColumn, '$.idColumn');
  const idType = top.idType === undefined ? undefined : reader.oneOf<IdType>(top.idType, '$.idType', ID_TYPES);
  const otherColumns = top.otherColumns === undefined ? 'keep' : reader.oneOf(top.otherColumns, '$.otherColumns', OTHER_COLUMNS);

  const columns: ColumnRule[] = [];
  if (top.columns !== undefined) {
    const entries = reader.object(top.columns, '$.columns');
    for (const [column, rule] of Object.entries(entries)) {
      const path = `$.columns${key(column)}`;
      if (rule === true || rule === false) {
        columns.push(Object.freeze({ column, keep: rule, transforms: [] }));
        continue;
      }
      const body = reader.object(rule, path, 'true (keep), false (drop) or an object with rename and/or transforms');
      reader.onlyKeys(body, path, COLUMN_KEYS);
      const rename = body.rename === undefined ? undefined : reader.attributeName(body.rename, `${path}.rename`);
      const transforms = body.transforms === undefined ? [] : reader.transforms(body.transforms, `${path}.transforms`);
      columns.push(Object.freeze(rename === undefined ? { column, keep: true, transforms } : { column, keep: true, rename, transforms }));
    }
  }

  const derive: DerivedColumn[] = [];
  if (top.derive !== undefined) {
    const entries = reader.object(top.derive, '$.derive');
    for (const [name, rule] of Object.entries(entries)) {
      const path = `$.derive${key(name)}`;
      reader.attributeName(name, path, 'a column name');
      const body = reader.object(rule, path, 'an object with from and transforms');
      reader.onlyKeys(body, path, DERIVE_KEYS);
      const from = reader.nonEmptyString(body.from, `${path}.from`);
      const transforms = body.transforms === undefined ? [] : reader.transforms(body.transforms, `${path}.transforms`);
      derive.push(Object.freeze({ name, from, transforms }));
    }
  }

  const constants: ConstantColumn[] = [];
  if (top.constants !== undefined) {
    const entries = reader.object(top.constants, '$.constants');
    for (const [name, value] of Object.entries(entries)) {
      const path = `$.constants${key(name)}`;
      reader.attributeName(name, path, 'a column name');
      constants.push(Object.freeze({ name, value: reader.constantValue(value, path) }));
    }
  }

  return Object.freeze({
    label,
    ...(idColumn !== undefined ? { idColumn } : {}),
    ...(idType !== undefined ? { idType } : {}),
    columns: Object.freeze(columns),
    otherColumns,
    derive: Object.freeze(derive),
    constants: Object.freeze(constants),
  });
}

/** `.name` for identifier-like keys, `["any key"]` otherwise. */
function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function show(value: Json): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

class MappingReader {
  constructor(private readonly label: string) {}

  fail(path: string, expected: string, got: Json): never {
    throw new BulkpipeError(ErrorCode.INVALID_MAPPING, `Invalid mapping ${this.label} at ${path}: expected ${expected}, got ${show(got)}`, { source: this.label });
  }

  object(value: Json, path: string, expected = 'an object'): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, expected, value);
    return value as JsonObject;
  }

  onlyKeys(value: JsonObject, path: string, allowed: readonly string[]): void {
    for (const name of Object.keys(value)) {
      if (!allowed.includes(name)) this.fail(`${path}${key(name)}`, `no such key (allowed: ${allowed.join(', ')})`, name);
    }
  }

  string(value: Json, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  nonEmptyString(value: Json, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, 'a non-empty string', value);
    return value;
  }

  oneOf<T extends string>(value: Json, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) this.fail(path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
    return value as T;
  }

  /** An output column name: it ends up as an attribute name (or the id column), so it must be sendable. */
  attributeName(value: Json, path: string, what = 'a column name'): string {
    const name = this.nonEmptyString(value, path);
    const result = normalizeAttributeName(name);
    if (!result.ok) this.fail(path, `${what} usable as an attribute name (${result.message})`, name);
    return name;
  }

  transforms(value: Json, path: string): ValueTransform[] {
    if (!Array.isArray(value)) this.fail(path, `an array of transforms (${VALUE_TRANSFORMS.join(', ')})`, value);
    return value.map((item: Json, index) => this.oneOf(item, `${path}[${index}]`, VALUE_TRANSFORMS));
  }

  /** Constants are sent on every row: one that can never be sent must stop the run now, not reject every row. */
  constantValue(value: Json, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string (values are text in a batch file)', value);
    if (/[,\r\n]/.test(value)) this.fail(path, 'a value without commas, CR or LF (Target splits rows and cells on them)', value);
    if (loneSurrogateIndex(value) >= 0) this.fail(path, 'a value without lone UTF-16 surrogates', value);
    return value;
  }
}
