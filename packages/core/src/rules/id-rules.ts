/**
 * The key of a batch row: thirdPartyId (your own id) or pcId (Target's visitor id). See shared/TARGET-API.md §1.
 * One char loop, no allocation unless there is something to report: this runs once per row.
 * Lengths are UTF-16 code units (Java's String.length(), the stricter reading of "characters").
 */
import { ErrorCode } from '../errors.js';
import { MAX_PC_ID_LENGTH, MAX_THIRD_PARTY_ID_LENGTH } from '../limits.js';
import type { IdType } from '../limits.js';
import { WarningCode } from '../rows.js';
import { RULE_PASS, describeChar, isTrimmedWhitespace, passWith, problem } from './rule-result.js';
import type { RuleResult, RuleWarning } from './rule-result.js';

/** An ECID (Experience Cloud ID, marketingCloudVisitorId) is a 38-digit decimal string. */
export const ECID_DIGITS = 38;

/**
 * Seen pcId forms: 32–40 hex digits, or the legacy `<digits>-<digits>`, each optionally followed by
 * `.<cluster>_<node>`. Adobe's own samples use toy ids, so a mismatch only warns. Case-insensitive on purpose:
 * an upper-case hex id is still plausibly a TNT id, and a warning on every row of it would be noise.
 */
const PC_ID_SHAPE = /^(?:[0-9a-f]{32,40}|\d+-\d+)(?:\.\d+_\d+)?$/i;

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const PLUS = 0x2b;
const SLASH = 0x2f;

/** Checks a thirdPartyId: non-empty, ≤ 256, no `+ / , CR LF`, not an ECID; warns on surrounding whitespace. */
export function checkThirdPartyId(id: string): RuleResult {
  return checkId(id, 'thirdPartyId');
}

/** Checks a pcId: non-empty, ≤ 128, no `, CR LF`, not an ECID; warns on surrounding whitespace and odd shapes. */
export function checkPcId(id: string): RuleResult {
  return checkId(id, 'pcId');
}

export function checkId(id: string, idType: IdType): RuleResult {
  const thirdParty = idType === 'thirdPartyId';
  const length = id.length;
  if (length === 0) return problem(ErrorCode.ID_EMPTY, `${idType} is empty`);
  const max = thirdParty ? MAX_THIRD_PARTY_ID_LENGTH : MAX_PC_ID_LENGTH;
  if (length > max) return problem(ErrorCode.ID_TOO_LONG, `${idType} has ${length} characters; Target's limit is ${max}`);

  let digits = 0;
  for (let i = 0; i < length; i++) {
    const code = id.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      digits++;
      continue;
    }
    if (code === COMMA || code === LF || code === CR) {
      return problem(
        ErrorCode.ID_FORBIDDEN_CHAR,
        `${idType} contains ${describeChar(code)} at position ${i + 1}; a batch row cannot carry commas, CR or LF (Target splits rows and cells on them)`,
      );
    }
    if (thirdParty && (code === PLUS || code === SLASH)) {
      return problem(ErrorCode.ID_FORBIDDEN_CHAR, `thirdPartyId contains ${describeChar(code)} at position ${i + 1}; Target forbids + and / in thirdPartyId`);
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = id.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return problem(ErrorCode.VALUE_UNENCODABLE, `${idType} contains a lone UTF-16 surrogate at position ${i + 1}, which cannot be encoded as UTF-8`);
    }
  }

  const padded = isTrimmedWhitespace(id.charCodeAt(0)) || isTrimmedWhitespace(id.charCodeAt(length - 1));
  if (!padded) {
    if (digits === ECID_DIGITS && length === ECID_DIGITS) return ecid(idType);
    if (thirdParty || PC_ID_SHAPE.test(id)) return RULE_PASS;
    return passWith([pcIdShapeWarning(id)]);
  }
  return checkPaddedId(id, idType, digits);
}

/** The rare path: the id has leading or trailing whitespace, which is sent as is (never trimmed silently). */
function checkPaddedId(id: string, idType: IdType, digits: number): RuleResult {
  const trimmed = id.trim();
  if (trimmed.length === 0) return problem(ErrorCode.ID_EMPTY, `${idType} is only whitespace`);
  if (digits === ECID_DIGITS && trimmed.length === ECID_DIGITS) return ecid(idType);
  const warnings: RuleWarning[] = [
    {
      code: WarningCode.ID_WHITESPACE,
      message: `${idType} has leading or trailing whitespace, sent as is (Target keys are exact); trim it in a mapping if it is not part of the id`,
    },
  ];
  if (idType === 'pcId' && !PC_ID_SHAPE.test(id)) warnings.push(pcIdShapeWarning(id));
  return passWith(warnings);
}

function ecid(idType: IdType): RuleResult {
  return problem(
    ErrorCode.ID_ECID,
    `${idType} is a ${ECID_DIGITS}-digit number: it looks like an ECID (marketingCloudVisitorId); Target's batch files take pcId or thirdPartyId, not ECIDs. ` +
      'Choose the column holding your own id (thirdPartyId) or the Target visitor id (pcId)',
  );
}

function pcIdShapeWarning(id: string): RuleWarning {
  const shown = id.length > 48 ? `${id.slice(0, 45)}...` : id;
  return {
    code: WarningCode.PC_ID_SHAPE,
    message: `pcId "${shown}" does not look like a Target visitor id (32-40 hex digits or <digits>-<digits>, optionally .<n>_<n>); sent anyway`,
  };
}
