/**
 * map: InputRecord → InputRecord. Keeps, drops, renames and derives columns, applies value transforms and adds
 * constants, as a mapping says. Runs before validate, so a mapping can build the id (e.g. a hashed e-mail).
 * Output records carry a new header array, one per input header, so validate still checks headers once.
 */
import type { Transform } from 'node:stream';
import type { InputRecord } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Step } from '../step.js';
import { stepToStream } from '../step-stream.js';
import type { StepStreamOptions } from '../step-stream.js';
import type { Mapping } from './mapping.js';
import { compileMapPlan } from './map-plan.js';
import type { MapPlan } from './map-plan.js';
import { applyTransforms } from './value-transforms.js';

/** The map step, which also tells the plan it made for an input header (the fast lane maps such records itself). */
export interface MapStep extends Step<InputRecord, InputRecord> {
  /** The plan for records with this `columns` array, once one was mapped (undefined before). */
  planOf(columns: readonly string[]): MapPlan | undefined;
}

/** `ctx` is taken for the common stage shape; the map rejects nothing (validate judges the mapped values). */
export function createMapStep(mapping: Mapping, _ctx: RunContext): MapStep {
  const plans = new WeakMap<readonly string[], MapPlan>();
  let lastColumns: readonly string[] | undefined;
  let lastPlan: MapPlan | undefined;

  function planFor(record: InputRecord): MapPlan {
    let plan = plans.get(record.columns);
    if (plan === undefined) {
      plan = compileMapPlan(mapping, record.columns, record.source);
      plans.set(record.columns, plan);
    }
    lastColumns = record.columns;
    lastPlan = plan;
    return plan;
  }

  return {
    push(record, emit) {
      const plan = record.columns === lastColumns && lastPlan !== undefined ? lastPlan : planFor(record);
      const input = record.fields;
      const fields: Record<string, string> = plan.nullPrototype ? (Object.create(null) as Record<string, string>) : {};
      const { from, to, transforms } = plan;
      for (let i = 0; i < from.length; i++) {
        const value = input[from[i]!];
        // A cell missing from a short row stays missing ("no value"), it does not become ''. typeof, because a
        // `__proto__` header on a plain-object `fields` reads the prototype.
        if (typeof value !== 'string') continue;
        const steps = transforms[i]!;
        fields[to[i]!] = steps.length === 0 ? value : applyTransforms(value, steps);
      }
      const names = plan.constantNames;
      for (let i = 0; i < names.length; i++) fields[names[i]!] = plan.constantValues[i]!;
      emit({ source: record.source, line: record.line, fields, columns: plan.columns });
    },
    flush() {},
    planOf: (columns) => plans.get(columns),
  };
}

/** The map step as an object-mode Transform taking and emitting arrays (row chunks). */
export function mapStage(mapping: Mapping, ctx: RunContext, streamOptions?: StepStreamOptions): Transform {
  return stepToStream(createMapStep(mapping, ctx), streamOptions);
}
