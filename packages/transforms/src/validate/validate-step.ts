/**
 * validate: InputRecord → ProfileRow. Checks the id and every value of a row against Target's rules; a bad row
 * becomes a reject (the run goes on), a good one a ProfileRow holding only its non-empty values under bare names.
 * Header work (id column present, attribute names) happens once per distinct `columns` array.
 */
import { ErrorCode, checkId, checkValue } from '@bulkpipe/core';
import type { InputRecord, ProfileRow, RuleWarning } from '@bulkpipe/core';
import type { RunContext } from '../run-context.js';
import type { Transform } from 'node:stream';
import type { Step } from '../step.js';
import { stepToStream } from '../step-stream.js';
import type { StepStreamOptions } from '../step-stream.js';
import { compileHeader } from './header-plan.js';
import type { HeaderPlan } from './header-plan.js';
import { resolveValidateOptions } from './validate-options.js';
import type { ValidateOptions } from './validate-options.js';

export function createValidateStep(options: ValidateOptions, ctx: RunContext): Step<InputRecord, ProfileRow> {
  const { idColumn, idType, valuePolicy } = resolveValidateOptions(options);
  const plans = new WeakMap<readonly string[], HeaderPlan>();
  // Every record of one input shares its columns array: one identity compare per row in the common case.
  let lastColumns: readonly string[] | undefined;
  let lastPlan: HeaderPlan | undefined;

  function planFor(record: InputRecord): HeaderPlan {
    let plan = plans.get(record.columns);
    if (plan === undefined) {
      plan = compileHeader(record.columns, idColumn, idType, record.source);
      plans.set(record.columns, plan);
      // Said once per header; `line` is that of the first row read with it.
      for (const { code, message } of plan.warnings) ctx.warn({ source: record.source, line: record.line, code, message: `header: ${message}` });
    }
    lastColumns = record.columns;
    lastPlan = plan;
    return plan;
  }

  function reject(record: InputRecord, id: string | undefined, code: string, message: string): void {
    ctx.reject(
      id === undefined
        ? { source: record.source, line: record.line, code, message, fields: record.fields }
        : { source: record.source, line: record.line, id, code, message, fields: record.fields },
    );
  }

  return {
    push(record, emit) {
      const plan = record.columns === lastColumns && lastPlan !== undefined ? lastPlan : planFor(record);
      const fields = record.fields;
      // typeof, not `=== undefined`: on a plain-object `fields`, a `__proto__` header reads the prototype.
      const id = fields[plan.idHeader];
      if (typeof id !== 'string') {
        reject(record, undefined, ErrorCode.ID_EMPTY, `${idType} is missing: the row ends before column ${JSON.stringify(plan.idHeader)}`);
        return;
      }
      const idResult = checkId(id, idType);
      if (!idResult.ok) {
        reject(record, id, idResult.code, `${idResult.message} (column ${JSON.stringify(plan.idHeader)})`);
        return;
      }
      // Warnings wait until the row is known to pass: a rejected row's warnings would only be noise.
      let warnings: RuleWarning[] | undefined = idResult.warnings.length > 0 ? [...idResult.warnings] : undefined;

      const attributes: Record<string, string> = plan.nullPrototype ? (Object.create(null) as Record<string, string>) : {};
      const headers = plan.headers;
      const names = plan.names;
      for (let i = 0; i < headers.length; i++) {
        const header = headers[i]!;
        let value = fields[header];
        if (typeof value !== 'string' || value === '') continue;
        const result = checkValue(value, header, valuePolicy);
        if (!result.ok) {
          reject(record, id, result.code, result.message);
          return;
        }
        if (result.warnings.length > 0) (warnings ??= []).push(...result.warnings);
        if (result.value !== undefined) {
          value = result.value;
          if (value === '') continue;
        }
        attributes[names[i]!] = value;
      }

      if (warnings !== undefined) for (const { code, message } of warnings) ctx.warn({ source: record.source, line: record.line, id, code, message });
      emit({ id, attributes, origins: [{ source: record.source, line: record.line }] });
    },
    flush() {},
  };
}

/** The validate step as an object-mode Transform taking and emitting arrays (row chunks). */
export function validateStage(options: ValidateOptions, ctx: RunContext, streamOptions?: StepStreamOptions): Transform {
  return stepToStream(createValidateStep(options, ctx), streamOptions);
}
