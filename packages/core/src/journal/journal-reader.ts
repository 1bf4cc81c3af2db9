/**
 * Replays a journal into the state a resumed run needs: which batches Target accepted (never re-send),
 * which are still pending (poll), which are done, and which must be sent (again). A torn last line — a
 * crash in the middle of an append — is ignored and reported; damage anywhere else is JOURNAL_CORRUPT.
 */
import { readFile } from 'node:fs/promises';
import { BulkpipeError, ErrorCode } from '../errors.js';
import { JOURNAL_RECORD_TYPES, JOURNAL_VERSION } from './records.js';
import type { BatchBuiltRecord, InputFingerprint, JournalRecord, RunEndRecord, RunStartRecord, StatusRecord, SubmitFailedRecord } from './records.js';

/**
 * - `built`: never sent — send it.
 * - `in-doubt`: a POST started but no answer was journaled (crash) — send it again; re-sending the same
 *   whole rows is harmless, skipping a batch Target never got is not.
 * - `failed`: the last submission failed — send it again.
 * - `accepted`: Target accepted it — never send it again; poll its status.
 * - `done`: accepted and `complete` or `stuck`.
 */
export type BatchPhase = 'built' | 'in-doubt' | 'failed' | 'accepted' | 'done';

export interface BatchJournalState {
  readonly seq: number;
  readonly built?: BatchBuiltRecord;
  readonly batchId?: string;
  readonly statusUrl?: string;
  /** `submitting` records seen, all runs together. */
  readonly attempts: number;
  readonly failures: readonly SubmitFailedRecord[];
  readonly lastStatus?: StatusRecord;
  readonly phase: BatchPhase;
}

export interface TornTail {
  /** 1-based line number of the torn line. */
  readonly line: number;
  readonly bytes: number;
}

export interface JournalReplay {
  readonly records: readonly JournalRecord[];
  /** The first run's start (its configuration and inputs are what a resume must match). */
  readonly runStart: RunStartRecord;
  /** How many runs (the first and every resume) wrote to this journal. */
  readonly runs: number;
  readonly batches: ReadonlyMap<number, BatchJournalState>;
  /** The last run's end, when the last run ended cleanly. */
  readonly runEnd?: RunEndRecord;
  /** True when the last run ended with every batch done or accepted (`complete` or `submitted`). */
  readonly finished: boolean;
  readonly tornTail?: TornTail;
  /** Consistency problems that do not stop a replay (e.g. a batch rebuilt with another digest). */
  readonly problems: readonly string[];
}

export async function readJournal(path: string): Promise<JournalReplay> {
  return replayJournal(await readJournalText(path), path);
}

/**
 * The journal at `path`, or undefined when it holds no record at all (empty, or only a torn first line): a run
 * killed between creating its journal and writing its run-start record sent nothing, so there is nothing to
 * resume — the next run starts afresh there (JournalWriter.open cuts the torn line). Anything else as readJournal.
 */
export async function readStartedJournal(path: string): Promise<JournalReplay | undefined> {
  const text = await readJournalText(path);
  if (!text.includes('\n') && parseLine(text) === undefined) return undefined;
  return replayJournal(text, path);
}

async function readJournalText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new BulkpipeError(ErrorCode.INPUT_UNREADABLE, `Cannot read the journal ${path}: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

interface MutableBatch {
  seq: number;
  built?: BatchBuiltRecord;
  batchId?: string;
  statusUrl?: string;
  attempts: number;
  failures: SubmitFailedRecord[];
  lastStatus?: StatusRecord;
  /** What the last submission-related record said. */
  lastEvent?: 'submitting' | 'submitted' | 'submit-failed';
}

export function replayJournal(text: string, source = 'journal'): JournalReplay {
  const lines = text.split('\n');
  let tornTail: TornTail | undefined;
  // The text after the last newline is a torn line unless it is a whole record (newline lost in the crash).
  const last = lines.pop() ?? '';
  if (last !== '') {
    if (parseLine(last) !== undefined) lines.push(last);
    else tornTail = { line: lines.length + 1, bytes: Buffer.byteLength(last) };
  }

  const records: JournalRecord[] = [];
  const batches = new Map<number, MutableBatch>();
  const problems: string[] = [];
  let runStart: RunStartRecord | undefined;
  let runs = 0;
  let runEnd: RunEndRecord | undefined;

  lines.forEach((lineText, index) => {
    const line = index + 1;
    const corrupt: (why: string) => never = (why) => {
      throw new BulkpipeError(ErrorCode.JOURNAL_CORRUPT, `The journal is damaged at line ${line}: ${why}. Start a new journal (the batches Target accepted are listed in this one).`, { source, line });
    };
    if (lineText.trim() === '') corrupt('an empty line');
    const record = parseLine(lineText);
    if (record === undefined) corrupt('not a journal record');
    if (runStart === undefined && record.type !== 'run-start') corrupt('the journal does not begin with a run-start record');
    records.push(record);

    const batch: (seq: unknown) => MutableBatch = (seq) => {
      if (!(typeof seq === 'number' && Number.isInteger(seq) && seq >= 1)) corrupt(`a bad batch number ${JSON.stringify(seq)}`);
      let entry = batches.get(seq as number);
      if (!entry) {
        if (record.type !== 'batch-built') corrupt(`a ${record.type} record for batch ${String(seq)}, which was never built`);
        entry = { seq: seq as number, attempts: 0, failures: [] };
        batches.set(seq as number, entry);
      }
      return entry;
    };

    switch (record.type) {
      case 'run-start':
        if (typeof record.journalVersion !== 'number' || record.journalVersion > JOURNAL_VERSION) {
          corrupt(`journal format ${String(record.journalVersion)} is newer than this bulkpipe understands (${JOURNAL_VERSION})`);
        }
        if (typeof record.configHash !== 'string' || !Array.isArray(record.inputs)) corrupt('a run-start without configHash or inputs');
        runStart ??= record;
        runs++;
        runEnd = undefined;
        break;
      case 'batch-built': {
        if (typeof record.sha256 !== 'string') corrupt('a batch-built record without sha256');
        const entry = batch(record.seq);
        if (entry.built && entry.built.sha256 !== record.sha256) {
          problems.push(`line ${line}: batch ${record.seq} was rebuilt with another digest (${record.sha256.slice(0, 12)}… vs ${entry.built.sha256.slice(0, 12)}…)`);
        }
        entry.built ??= record;
        break;
      }
      case 'submitting': {
        const entry = batch(record.seq);
        entry.attempts++;
        if (entry.statusUrl === undefined) entry.lastEvent = 'submitting';
        break;
      }
      case 'submitted': {
        if (typeof record.statusUrl !== 'string' || record.statusUrl === '') corrupt('a submitted record without statusUrl');
        const entry = batch(record.seq);
        if (entry.statusUrl !== undefined && entry.statusUrl !== record.statusUrl) {
          problems.push(`line ${line}: batch ${record.seq} was accepted twice (${entry.statusUrl} and ${record.statusUrl})`);
        }
        entry.statusUrl = record.statusUrl;
        if (record.batchId !== undefined) entry.batchId = record.batchId;
        entry.lastEvent = 'submitted';
        break;
      }
      case 'submit-failed': {
        const entry = batch(record.seq);
        entry.failures.push(record);
        if (entry.statusUrl === undefined) entry.lastEvent = 'submit-failed';
        break;
      }
      case 'status': {
        const entry = batch(record.seq);
        if (entry.statusUrl === undefined) corrupt(`a status for batch ${record.seq}, which was never accepted`);
        entry.lastStatus = record;
        break;
      }
      case 'run-end':
        runEnd = record;
        break;
    }
  });

  if (runStart === undefined) {
    throw new BulkpipeError(ErrorCode.JOURNAL_CORRUPT, 'The journal is empty: it holds no run-start record.', { source });
  }

  const states = new Map<number, BatchJournalState>();
  for (const [seq, entry] of [...batches].sort((a, b) => a[0] - b[0])) {
    states.set(seq, Object.freeze({ ...entry, failures: Object.freeze([...entry.failures]), phase: phaseOf(entry) }));
  }
  const finishedOutcome = runEnd?.outcome === 'complete' || runEnd?.outcome === 'submitted';
  return Object.freeze({
    records,
    runStart,
    runs,
    batches: states,
    ...(runEnd === undefined ? {} : { runEnd }),
    finished: finishedOutcome && [...states.values()].every((b) => b.phase === 'done' || b.phase === 'accepted'),
    ...(tornTail === undefined ? {} : { tornTail }),
    problems,
  });
}

function phaseOf(entry: MutableBatch): BatchPhase {
  if (entry.statusUrl !== undefined) {
    const status = entry.lastStatus?.status;
    return status === 'complete' || status === 'stuck' ? 'done' : 'accepted';
  }
  if (entry.lastEvent === 'submitting') return 'in-doubt';
  if (entry.lastEvent === 'submit-failed') return 'failed';
  return 'built';
}

function parseLine(text: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && JOURNAL_RECORD_TYPES.has(type as JournalRecord['type']) ? (value as JournalRecord) : undefined;
}

/** The sequence numbers of the batches in each phase, in order. */
export function batchesInPhase(replay: JournalReplay, ...phases: BatchPhase[]): number[] {
  return [...replay.batches.values()].filter((b) => phases.includes(b.phase)).map((b) => b.seq);
}

/** What a resumed run compares with the journal before it sends anything. */
export interface ResumeCheck {
  readonly configHash: string;
  readonly inputs: readonly InputFingerprint[];
}

/**
 * Throws RESUME_MISMATCH when the configuration or an input changed since the journal's first run (size or
 * first-MiB digest; mtime alone is not a change — copying a file changes it). Batch digests are compared
 * one by one with `checkBatchDigest` as batches are recomputed.
 */
export function checkResume(replay: JournalReplay, current: ResumeCheck): void {
  const { runStart } = replay;
  const differences: string[] = [];
  if (runStart.configHash !== current.configHash) differences.push('the configuration (id column, mapping, batch limits, API version…) changed');
  if (runStart.inputs.length !== current.inputs.length) {
    differences.push(`the run had ${runStart.inputs.length} input(s), now ${current.inputs.length}`);
  } else {
    runStart.inputs.forEach((before, i) => {
      const now = current.inputs[i] as InputFingerprint;
      if (before.size !== now.size) differences.push(`${now.source}: size ${before.size} → ${now.size} bytes`);
      else if (before.headSha256 !== now.headSha256 || before.headBytes !== now.headBytes) differences.push(`${now.source}: content changed`);
    });
  }
  if (differences.length > 0) {
    throw new BulkpipeError(
      ErrorCode.RESUME_MISMATCH,
      `Cannot resume: ${differences.join('; ')}. Resuming would send different batches than the journal records. Rerun with the original input and options, or start a new journal.`,
    );
  }
}

/** Throws RESUME_MISMATCH when a recomputed batch differs from the one journaled under the same number. */
export function checkBatchDigest(replay: JournalReplay, seq: number, sha256: string): void {
  const built = replay.batches.get(seq)?.built;
  if (built === undefined || built.sha256 === sha256) return;
  throw new BulkpipeError(
    ErrorCode.RESUME_MISMATCH,
    `Cannot resume: batch ${seq} recomputes to a different body (sha256 ${sha256.slice(0, 12)}…, journal ${built.sha256.slice(0, 12)}…), so the input or configuration changed.`,
    { batchSeq: seq },
  );
}
