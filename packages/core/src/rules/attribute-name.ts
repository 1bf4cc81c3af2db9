/**
 * Profile attribute names as a batch header carries them: bare (no `profile.` prefix), at most 128 characters,
 * nothing that would split the header line. Run once per input header, not per row.
 */
import { ErrorCode } from '../errors.js';
import { MAX_ATTRIBUTE_NAME_LENGTH } from '../limits.js';
import { WarningCode } from '../rows.js';
import { RULE_PASS, describeChar, loneSurrogateIndex, problem } from './rule-result.js';
import type { RulePass, RuleProblem, RuleWarning } from './rule-result.js';

/** Pages address profile attributes as `profile.<name>`; batch files must use the bare name. */
export const PROFILE_PREFIX = 'profile.';

export interface AttributeNamePass extends RulePass {
  /** The bare name to put in the batch header. */
  readonly name: string;
}

export type AttributeNameResult = AttributeNamePass | RuleProblem;

/** Strips a leading `profile.` (with a warning) and checks what is left. */
export function normalizeAttributeName(header: string): AttributeNameResult {
  const prefixed = header.startsWith(PROFILE_PREFIX);
  const name = prefixed ? header.slice(PROFILE_PREFIX.length) : header;
  const shown = JSON.stringify(header);
  if (name.length === 0) {
    return problem(ErrorCode.ATTRIBUTE_NAME_INVALID, prefixed ? `attribute name ${shown} is empty after stripping "profile."` : 'attribute name is empty');
  }
  if (name.length > MAX_ATTRIBUTE_NAME_LENGTH) {
    return problem(ErrorCode.ATTRIBUTE_NAME_INVALID, `attribute name ${JSON.stringify(name.slice(0, 40) + '...')} has ${name.length} characters; Target's limit is ${MAX_ATTRIBUTE_NAME_LENGTH}`);
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code === 0x2c || code === 0x0a || code === 0x0d) {
      return problem(ErrorCode.ATTRIBUTE_NAME_INVALID, `attribute name ${shown} contains ${describeChar(code)}; a batch header cannot carry commas, CR or LF`);
    }
  }
  const lone = loneSurrogateIndex(name);
  if (lone >= 0) return problem(ErrorCode.ATTRIBUTE_NAME_INVALID, `attribute name ${shown} contains a lone UTF-16 surrogate at position ${lone + 1}, which cannot be encoded as UTF-8`);
  const padded = name.trim() !== name;
  if (!prefixed && !padded) return { ok: true, name, warnings: RULE_PASS.warnings };
  const warnings: RuleWarning[] = [];
  if (prefixed) {
    warnings.push({
      code: WarningCode.ATTRIBUTE_PREFIX_STRIPPED,
      message: `column ${shown} is sent as attribute ${JSON.stringify(name)}: batch files take bare names, without "profile."`,
    });
  }
  if (padded) {
    // Names are case- and byte-sensitive in Target: " tier" is another attribute than "tier".
    warnings.push({
      code: WarningCode.ATTRIBUTE_NAME_WHITESPACE,
      message: `attribute name ${JSON.stringify(name)} has leading or trailing whitespace and is sent as is, a different attribute from ${JSON.stringify(name.trim())}; rename it with a mapping if that is not meant`,
    });
  }
  return { ok: true, name, warnings };
}
