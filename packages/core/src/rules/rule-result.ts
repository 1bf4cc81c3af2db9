/**
 * What a rule says about one id, name or value. The common case (nothing to say) is one shared frozen object,
 * so the rules allocate nothing on the fast path: they run once per id and value, a million times a run.
 */
import type { ErrorCode } from '../errors.js';
import type { WarningCode } from '../rows.js';

/** A warning without its location: the stage adds source, line and id. */
export interface RuleWarning {
  readonly code: WarningCode;
  readonly message: string;
}

/** The row (or header) cannot be sent as it is: the code and a message naming the problem. */
export interface RuleProblem {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

export interface RulePass {
  readonly ok: true;
  readonly warnings: readonly RuleWarning[];
}

export type RuleResult = RulePass | RuleProblem;

const NO_WARNINGS: readonly RuleWarning[] = Object.freeze([]);

/** The shared "nothing to say" answer. */
export const RULE_PASS: RulePass = Object.freeze({ ok: true, warnings: NO_WARNINGS });

export function problem(code: ErrorCode, message: string): RuleProblem {
  return { ok: false, code, message };
}

export function passWith(warnings: readonly RuleWarning[]): RulePass {
  return warnings.length === 0 ? RULE_PASS : { ok: true, warnings };
}

/** Shows a character in a message: CR, LF and other invisibles by name, the rest quoted. */
export function describeChar(code: number): string {
  switch (code) {
    case 0x0a:
      return 'LF (line feed)';
    case 0x0d:
      return 'CR (carriage return)';
    case 0x09:
      return 'TAB';
    case 0x20:
      return 'a space';
    default:
      return code < 0x20 || (code >= 0x7f && code <= 0xa0) ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCharCode(code)}"`;
  }
}

/** True for the characters String.prototype.trim() removes (ECMAScript WhiteSpace and LineTerminator). */
export function isTrimmedWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Index of the first lone (unpaired) UTF-16 surrogate, or -1. Lone surrogates cannot be encoded as UTF-8. */
export function loneSurrogateIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}
