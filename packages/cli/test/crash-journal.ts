/**
 * The crash harness's bookkeeping: what a journal says about each batch, and the rule for how often Target
 * may have accepted the same batch content (docs/reliability.md, "What the crash harness verifies").
 */
import { readFileSync } from 'node:fs';

export interface JournalLine {
  type: string;
  seq?: number;
  sha256?: string;
  attempt?: number;
  outcome?: string;
  code?: string;
  statusCode?: number;
}

export interface BatchHistory {
  seq: number;
  sha256: string;
  /** `submitting` records: POSTs started (each journaled and fsynced before it went out). */
  attempts: number;
  /** `submitted` records: acceptances the run heard and journaled. */
  acceptancesJournaled: number;
  /** A `submitting` came after the batch's `submitted`: an accepted batch sent again (never allowed). */
  resentAfterAccepted: boolean;
  /** `submit-failed` records with an HTTP answer that is surely not an acceptance (a 5xx, 429, 400…). */
  attemptsRefused: number;
  /**
   * Attempts whose answer the journal does not show: the process died with the POST on the wire, the
   * connection broke, or the answer was unreadable (Target may have queued the batch all the same).
   */
  attemptsInDoubt: number;
}

/**
 * Reads a journal that crashes may have torn: only its very last line may be unreadable (the writer cuts a
 * torn tail before appending). Returns the records and how many torn lines were seen.
 */
export function readJournalLines(path: string): { records: JournalLine[]; tornTail: boolean } {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records: JournalLine[] = [];
  let tornTail = false;
  lines.forEach((line, index) => {
    try {
      records.push(JSON.parse(line) as JournalLine);
    } catch {
      if (index !== lines.length - 1) throw new Error(`journal line ${index + 1} of ${lines.length} is torn but not the last: ${line.slice(0, 80)}`);
      tornTail = true;
    }
  });
  return { records, tornTail };
}

/** Each batch's history over every run segment of the journal. */
export function batchHistories(records: readonly JournalLine[]): Map<number, BatchHistory> {
  const histories = new Map<number, BatchHistory>();
  for (const record of records) {
    if (record.seq === undefined) continue;
    const history = histories.get(record.seq);
    if (record.type === 'batch-built') {
      if (history !== undefined && history.sha256 !== record.sha256) throw new Error(`batch ${record.seq} was rebuilt with other content: ${history.sha256} then ${record.sha256}`);
      if (history === undefined) histories.set(record.seq, { seq: record.seq, sha256: record.sha256!, attempts: 0, acceptancesJournaled: 0, resentAfterAccepted: false, attemptsRefused: 0, attemptsInDoubt: 0 });
      continue;
    }
    if (history === undefined) throw new Error(`journal has a ${record.type} for batch ${record.seq} before its batch-built`);
    if (record.type === 'submitting') {
      history.attempts += 1;
      if (history.acceptancesJournaled > 0) history.resentAfterAccepted = true;
    }
    if (record.type === 'submitted') history.acceptancesJournaled += 1;
    // an HTTP answer other than a readable acceptance: Target did not queue this attempt (a malformed 2xx might have)
    if (record.type === 'submit-failed' && record.statusCode !== undefined && record.code !== 'BULKPIPE_TARGET_BAD_RESPONSE') history.attemptsRefused += 1;
  }
  for (const history of histories.values()) history.attemptsInDoubt = history.attempts - history.acceptancesJournaled - history.attemptsRefused;
  return histories;
}

/**
 * The rule the harness enforces for a batch Target accepted `acceptedCount` times (counted server-side by
 * the SHA-256 of the body): at least once (nothing lost), and more than once only for attempts whose answer
 * the run never journaled — every extra acceptance needs an attempt in doubt. Returns the violations.
 */
export function acceptanceViolations(history: BatchHistory, acceptedCount: number): string[] {
  const problems: string[] = [];
  if (acceptedCount < 1) problems.push(`batch ${history.seq} was never accepted`);
  if (history.acceptancesJournaled !== 1) problems.push(`batch ${history.seq} has ${history.acceptancesJournaled} submitted records (want exactly 1)`);
  if (history.resentAfterAccepted) problems.push(`batch ${history.seq} was sent again after its acceptance was journaled`);
  // with exactly one journaled acceptance this also says: no acceptance without a `submitting` fsynced first
  if (acceptedCount - 1 > history.attemptsInDoubt) problems.push(`batch ${history.seq} accepted ${acceptedCount} times with only ${history.attemptsInDoubt} attempts in doubt (${history.attempts} POSTs journaled)`);
  return problems;
}
