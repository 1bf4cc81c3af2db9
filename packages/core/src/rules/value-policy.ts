/**
 * Attribute values. Target form-decodes the body once and then splits it on LF and `,` (shared/TARGET-API.md §2),
 * so a comma, CR or LF inside a value cannot be sent, even percent-encoded: the row is rejected (default), the
 * characters are replaced, or the value is dropped, as the user chooses. Everything else is percent-encoded later.
 */
import { ErrorCode, invalidOption } from '../errors.js';
import { ATTRIBUTE_VALUE_WARN_LENGTH } from '../limits.js';
import { WarningCode } from '../rows.js';
import { RULE_PASS, describeChar, loneSurrogateIndex, problem } from './rule-result.js';
import type { RulePass, RuleProblem, RuleWarning } from './rule-result.js';

export const FORBIDDEN_CHARS_ACTIONS = ['reject', 'replace', 'drop'] as const;
export type ForbiddenCharsAction = (typeof FORBIDDEN_CHARS_ACTIONS)[number];

export interface ValuePolicy {
  /** What a comma, CR or LF inside a value does: reject the row, replace each such character, or drop the value. @default 'reject' */
  onForbiddenChars?: ForbiddenCharsAction;
  /** With `replace`: what each comma, CR or LF becomes; may be '' (remove them), must not itself hold one. @default ' ' */
  replacement?: string;
}

export interface ResolvedValuePolicy {
  readonly onForbiddenChars: ForbiddenCharsAction;
  readonly replacement: string;
}

export const DEFAULT_VALUE_POLICY: ResolvedValuePolicy = Object.freeze({ onForbiddenChars: 'reject', replacement: ' ' });

/** Validates a policy once, up front; invalid values throw INVALID_OPTION naming the option and the value. */
export function resolveValuePolicy(policy: ValuePolicy = {}): ResolvedValuePolicy {
  const onForbiddenChars = policy.onForbiddenChars ?? 'reject';
  if (!(FORBIDDEN_CHARS_ACTIONS as readonly string[]).includes(onForbiddenChars)) {
    throw invalidOption('onForbiddenChars', `one of ${FORBIDDEN_CHARS_ACTIONS.join(', ')}`, onForbiddenChars);
  }
  const replacement = policy.replacement ?? ' ';
  if (typeof replacement !== 'string' || FORBIDDEN_IN_VALUE.test(replacement) || loneSurrogateIndex(replacement) >= 0) {
    throw invalidOption('replacement', 'a string without commas, CR or LF (they are what gets replaced)', replacement);
  }
  if (onForbiddenChars === 'reject' && replacement === DEFAULT_VALUE_POLICY.replacement) return DEFAULT_VALUE_POLICY;
  return Object.freeze({ onForbiddenChars, replacement });
}

export interface ValuePass extends RulePass {
  /** The value to send when it differs from the input (replaced characters, dropped value); absent when unchanged. */
  readonly value?: string;
}

export type ValueResult = ValuePass | RuleProblem;

const FORBIDDEN_IN_VALUE = /[,\r\n]/;
const FORBIDDEN_IN_VALUE_ALL = /[,\r\n]/g;
/** Anything that needs a closer look: a forbidden char, or any surrogate (a pair is fine, a lone one is not). */
const NEEDS_A_LOOK = /[,\r\n\uD800-\uDFFF]/;

/** The warning for `count` commas, CR or LF replaced by `replacement` in a value (policy `replace`). */
export function charsReplacedWarning(column: string, count: number, replacement: string): RuleWarning {
  return {
    code: WarningCode.VALUE_CHARS_REPLACED,
    message: `${count} comma/CR/LF character${count === 1 ? '' : 's'} in column ${JSON.stringify(column)} replaced by ${JSON.stringify(replacement)}`,
  };
}

/** The warning for a value dropped (policy `drop`) whose first comma, CR or LF is `charCode`. */
export function valueDroppedWarning(column: string, charCode: number): RuleWarning {
  return { code: WarningCode.VALUE_DROPPED, message: `value of column ${JSON.stringify(column)} dropped: it contains ${describeChar(charCode)}` };
}

/**
 * The warning for a value of `length` UTF-16 code units, above ATTRIBUTE_VALUE_WARN_LENGTH (the caller checks):
 * also made by readers that measure values on bytes (the encode worker's fast lane).
 */
export function longValueWarning(column: string, length: number): RuleWarning {
  return {
    code: WarningCode.VALUE_LONG,
    message: `value of column ${JSON.stringify(column)} has ${length} characters; Target keeps at most ${ATTRIBUTE_VALUE_WARN_LENGTH} when the same attribute comes from a page`,
  };
}

/**
 * Checks one value of `column` under a resolved policy. Fast path: one regex test and a length compare, no
 * allocation, returns the shared RULE_PASS. Empty values pass (Target ignores them; the stage drops them).
 */
export function checkValue(value: string, column: string, policy: ResolvedValuePolicy): ValueResult {
  if (value.length <= ATTRIBUTE_VALUE_WARN_LENGTH && !NEEDS_A_LOOK.test(value)) return RULE_PASS;
  return checkValueSlowly(value, column, policy);
}

function checkValueSlowly(value: string, column: string, policy: ResolvedValuePolicy): ValueResult {
  const lone = loneSurrogateIndex(value);
  if (lone >= 0) {
    return problem(ErrorCode.VALUE_UNENCODABLE, `value of column ${JSON.stringify(column)} contains a lone UTF-16 surrogate at position ${lone + 1}, which cannot be encoded as UTF-8`);
  }
  const warnings: RuleWarning[] = [];
  let sent = value;
  const first = value.search(FORBIDDEN_IN_VALUE);
  if (first >= 0) {
    const what = describeChar(value.charCodeAt(first));
    switch (policy.onForbiddenChars) {
      case 'reject':
        return problem(
          ErrorCode.VALUE_FORBIDDEN_CHAR,
          `value of column ${JSON.stringify(column)} contains ${what} at position ${first + 1}; Target splits rows and cells on commas, CR and LF ` +
            '(choose --on-forbidden-chars replace or drop to send such rows)',
        );
      case 'replace': {
        let count = 0;
        sent = value.replace(FORBIDDEN_IN_VALUE_ALL, () => {
          count++;
          return policy.replacement;
        });
        warnings.push(charsReplacedWarning(column, count, policy.replacement));
        break;
      }
      case 'drop':
        sent = '';
        warnings.push(valueDroppedWarning(column, value.charCodeAt(first)));
        break;
    }
  }
  if (sent.length > ATTRIBUTE_VALUE_WARN_LENGTH) warnings.push(longValueWarning(column, sent.length));
  if (sent === value) return warnings.length === 0 ? RULE_PASS : { ok: true, warnings };
  return { ok: true, value: sent, warnings };
}
