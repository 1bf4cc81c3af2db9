/**
 * Crash and resume: `bulkpipe run --journal J` is SIGKILLed at seeded random points — a timer (startup, parse,
 * upload), a submission on the wire that Target never saw, a submission Target accepted whose answer is lost,
 * just after an answer arrived (around the journal write), a status poll — and resumed with the same journal,
 * again and again, against an emulator that also injects latency, 500s and resets after accepting. After the
 * final resume the emulator must hold exactly the profiles a clean `bulkpipe split` of the same input
 * describes (decoded independently), and no batch content may have been accepted twice unless an attempt of
 * it was in doubt (docs/reliability.md, "What the crash harness verifies").
 *
 * Reproduce a run with CRASH_SEED=<the seed it printed>.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { seededRandom } from '@bulkpipe/core';
import { startEmulator } from '@bulkpipe/emulator';
import type { RunningEmulator } from '@bulkpipe/emulator';
import { writeSampleExport } from '@bulkpipe/transforms';
import { acceptanceViolations, batchHistories, readJournalLines } from './crash-journal.js';
import { startKillProxy } from './crash-proxy.js';
import type { KillProxy, KillTrigger } from './crash-proxy.js';
import { BIN, decodeBatchBody, readManifest, runCli, tempDir } from './run-cli.js';

const SEED = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : randomInt(1, 2 ** 31 - 1);
const SCENARIOS = 4;
/** Kills per scenario: 4 scenarios × 6 = 24 kill points per CI run. */
const KILLS_PER_SCENARIO = 6;
const CLIENT = 'acme';
const ROWS = 3000;
const MAX_ROWS = '120';


type KillPlan = { kind: 'timer'; afterMs: number } | KillTrigger;

/**
 * Picks the next kill: while enough batches remain unsent, any upload-phase kill; the last kill of a scenario,
 * or any once few batches remain, lands at a status poll.
 */
function planKill(random: () => number, remainingBatches: number, last: boolean): KillPlan {
  if (last || remainingBatches < 4) return { kind: 'poll', n: 1 + Math.floor(random() * 2) };
  const n = 1 + Math.floor(random() * 2);
  switch (Math.floor(random() * 4)) {
    case 0:
      return { kind: 'timer', afterMs: 150 + Math.floor(random() * 500) };
    case 1:
      return { kind: 'before-accept', n };
    case 2:
      return { kind: 'after-accept', n };
    default:
      return { kind: 'after-answer', n, delayMs: Math.floor(random() * 15) };
  }
}

function describePlan(plan: KillPlan): string {
  return plan.kind === 'timer' ? `timer ${plan.afterMs} ms` : plan.kind === 'after-answer' ? `after-answer #${plan.n} +${plan.delayMs} ms` : `${plan.kind} #${plan.n}`;
}

/** Runs `bulkpipe run` once under a kill plan (or none); resolves with how it ended. */
function runOnce(args: string[], proxy: KillProxy, plan: KillPlan | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proxy.arm(child, plan === undefined || plan.kind === 'timer' ? undefined : plan);
    const timer = plan?.kind === 'timer' ? setTimeout(() => child.kill('SIGKILL'), plan.afterMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** The attribute values of every live profile, by thirdPartyId, through the emulator's admin API. */
async function emulatorProfiles(emulator: RunningEmulator): Promise<Map<string, Record<string, string>>> {
  const profiles = new Map<string, Record<string, string>>();
  let after = '';
  for (;;) {
    const answer = await fetch(`${emulator.url}/_emulator/clients/${CLIENT}/profiles?limit=10000&after=${encodeURIComponent(after)}`);
    const page = (await answer.json()) as { profiles: { thirdPartyId: string; profileAttributes: Record<string, { value: string }> }[]; next: string | null };
    for (const profile of page.profiles) {
      profiles.set(profile.thirdPartyId, Object.fromEntries(Object.entries(profile.profileAttributes).map(([name, { value }]) => [name, value])));
    }
    if (page.next === null) return profiles;
    after = page.next;
  }
}

/** What Target must hold after the run: each split batch decoded independently, empty values ignored. */
function expectedProfiles(splitDir: string): Map<string, Record<string, string>> {
  const expected = new Map<string, Record<string, string>>();
  for (const file of readdirSync(splitDir).filter((name) => name.startsWith('batch-')).sort()) {
    const { header, rows } = decodeBatchBody(readFileSync(join(splitDir, file), 'utf8'));
    for (const row of rows) {
      const values: Record<string, string> = {};
      header.slice(1).forEach((name, index) => {
        const value = row[index + 1] ?? '';
        if (value !== '') values[name] = value;
      });
      if (expected.has(row[0]!)) throw new Error(`id ${row[0]} is in two rows of the split`);
      // a row of only empty values creates nothing (TARGET-API.md §2)
      if (Object.keys(values).length > 0) expected.set(row[0]!, values);
    }
  }
  return expected;
}

async function scenario(t: ExecutionContext, index: number): Promise<void> {
  const seed = (SEED + index * 7919) >>> 0;
  const random = seededRandom(seed); // the harness's only source of randomness: a seed replays the same plan
  t.log(`CRASH_SEED=${SEED} (scenario ${index}, seed ${seed})`);
  const emulator = await startEmulator({
    seed,
    settings: { processingDelayMs: 30, rateLimitCalls: 0 },
    // faults widen the windows and add in-doubt submissions of their own: a reset after Target accepted
    // makes the client retry a batch Target already has
    faults: ['latency:ms=120,p=0.3,endpoint=batchUpdate', 'status:code=500,p=0.04,endpoint=batchUpdate', 'reset:when=after-accept,p=0.04,endpoint=batchUpdate', 'latency:ms=60,p=0.3,endpoint=batchStatus'],
    requestLogSize: 10_000,
  });
  const proxy = await startKillProxy(emulator.url);
  t.teardown(async () => {
    await proxy.close();
    await emulator.close();
  });
  const dir = tempDir('bulkpipe-crash-');
  const input = join(dir, 'export.csv');
  await writeSampleExport(input, { rows: ROWS, seed });
  const pipelineArgs = [input, '--id-column', 'customer_id', '--max-rows', MAX_ROWS];

  const split = await runCli(['split', ...pipelineArgs, '--out', join(dir, 'split')]);
  t.is(split.code, 0, split.stderr);
  const manifest = readManifest(join(dir, 'split'));
  const total = manifest.batches.length;
  t.true(total >= 20, `the input makes ${total} batches`);

  const journal = join(dir, 'run.journal');
  const runArgs = ['run', ...pipelineArgs, '--client', CLIENT, '--endpoint', proxy.url, '--journal', journal, '--out', join(dir, 'out'), '--calls-per-minute', '100000'];
  const acceptedSoFar = (): number => {
    try {
      return [...batchHistories(readJournalLines(journal).records).values()].filter((history) => history.acceptancesJournaled > 0).length;
    } catch {
      return 0; // no journal yet
    }
  };

  let kills = 0;
  const log: string[] = [];
  for (let cycle = 0; cycle < KILLS_PER_SCENARIO; cycle++) {
    const plan = planKill(random, total - acceptedSoFar(), cycle === KILLS_PER_SCENARIO - 1);
    const result = await runOnce(runArgs, proxy, plan);
    const tail = existsSync(journal) ? (readJournalLines(journal).records.at(-1)?.type ?? 'nothing') : 'no journal yet';
    log.push(`${describePlan(plan)} → ${result.signal ?? `exit ${result.code}`}, journal ends with ${tail}`);
    if (result.signal === 'SIGKILL') {
      kills += 1;
      continue;
    }
    // not killed: the run finished on its own before the trigger, and must have finished well
    t.is(result.code, 0, `${log.join('\n')}\n${result.stderr}`);
    break;
  }
  const final = await runOnce(runArgs, proxy, undefined);
  t.log(`${kills} kills:\n  ${log.join('\n  ')}`);
  t.is(final.code, 0, final.stderr);
  t.true(kills >= KILLS_PER_SCENARIO - 1, `only ${kills} kill points landed`);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { upload: { outcome: string; batches: unknown[] } };
  t.is(report.upload.outcome, 'complete');
  t.is(report.upload.batches.length, total);

  // The same batches as a clean split, byte for byte.
  const { records } = readJournalLines(journal);
  const histories = batchHistories(records);
  t.deepEqual([...histories.values()].map((history) => history.sha256), manifest.batches.map((batch) => batch.sha256));

  // Server-side: how often each batch's content was accepted, by the SHA-256 of the body received.
  await emulator.waitForIdle();
  const acceptances = new Map<string, number>();
  for (const batch of emulator.listBatches(CLIENT, 10_000)) acceptances.set(batch.bodySha256 ?? 'none', (acceptances.get(batch.bodySha256 ?? 'none') ?? 0) + 1);
  const known = new Set(manifest.batches.map((batch) => batch.sha256));
  t.deepEqual([...acceptances.keys()].filter((sha) => !known.has(sha)), [], 'Target accepted no content the split does not have');
  const problems = [...histories.values()].flatMap((history) => acceptanceViolations(history, acceptances.get(history.sha256) ?? 0));
  t.deepEqual(problems, []);
  const duplicates = [...histories.values()].filter((history) => (acceptances.get(history.sha256) ?? 0) > 1).length;
  t.log(`${duplicates} of ${total} batches accepted more than once, each with an attempt in doubt`);

  // Exactly the expected merged profiles: none missing, none extra, every value as sent.
  const expected = expectedProfiles(join(dir, 'split'));
  const actual = await emulatorProfiles(emulator);
  t.is(actual.size, expected.size);
  const canonical = (values: Record<string, string> | undefined): string => JSON.stringify(Object.entries(values ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  const differing = [...expected].filter(([id, values]) => canonical(actual.get(id)) !== canonical(values)).map(([id]) => id);
  t.deepEqual(differing.slice(0, 5), [], `${differing.length} profiles differ`);
}

for (let index = 0; index < SCENARIOS; index++) {
  test(`SIGKILL at seeded random points, resume with the same journal: exact profiles, no unexplained double acceptance (scenario ${index + 1})`, (t) =>
    scenario(t, index));
}

test('the checker itself refuses a lost batch, a batch re-sent after its journaled acceptance, and a duplicate without doubt', (t) => {
  const built = { type: 'batch-built', seq: 1, sha256: 'aa' };
  const sent = [built, { type: 'submitting', seq: 1 }, { type: 'submitted', seq: 1 }];
  const ok = batchHistories(sent).get(1)!;
  t.deepEqual(acceptanceViolations(ok, 1), []);
  t.regex(acceptanceViolations(ok, 0).join(), /never accepted/);
  t.regex(acceptanceViolations(ok, 2).join(), /0 attempts in doubt/);
  // a 503 answer is not doubt; a crash with the POST on the wire is
  const refused = batchHistories([built, { type: 'submitting', seq: 1 }, { type: 'submit-failed', seq: 1, code: 'BULKPIPE_TARGET_HTTP_STATUS', statusCode: 503 }, ...sent.slice(1)]).get(1)!;
  t.regex(acceptanceViolations(refused, 2).join(), /0 attempts in doubt/);
  const crashed = batchHistories([built, { type: 'submitting', seq: 1 }, { type: 'run-start' }, built, ...sent.slice(1)]).get(1)!;
  t.deepEqual(acceptanceViolations(crashed, 2), []);
  const resent = batchHistories([...sent, { type: 'run-start' }, { type: 'submitting', seq: 1 }, { type: 'submitted', seq: 1 }]).get(1)!;
  t.regex(acceptanceViolations(resent, 2).join(), /sent again after its acceptance/);
});
