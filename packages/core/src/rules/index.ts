// Public surface of the rules; the small helpers in rule-result.ts stay internal apart from what callers need.
export { RULE_PASS, loneSurrogateIndex } from './rule-result.js';
export type { RulePass, RuleProblem, RuleResult, RuleWarning } from './rule-result.js';
export { ECID_DIGITS, checkId, checkPcId, checkThirdPartyId } from './id-rules.js';
export { PROFILE_PREFIX, normalizeAttributeName } from './attribute-name.js';
export type { AttributeNamePass, AttributeNameResult } from './attribute-name.js';
export { DEFAULT_VALUE_POLICY, FORBIDDEN_CHARS_ACTIONS, charsReplacedWarning, checkValue, longValueWarning, resolveValuePolicy, valueDroppedWarning } from './value-policy.js';
export type { ForbiddenCharsAction, ResolvedValuePolicy, ValuePass, ValuePolicy, ValueResult } from './value-policy.js';
