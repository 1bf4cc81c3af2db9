/** The results as markdown: the table printed by `pnpm bench`, and the section it keeps in bench/RESULTS.md. */
import { readFile, writeFile } from 'node:fs/promises';
import type { MachineInfo } from './machine.js';
import type { ReferenceExport } from './reference-export.js';
import type { Summary } from './summarize.js';
import { TARGETS } from './targets.js';

/** One generated section per input size, so a 10M-row run does not replace the 1M-row results. */
const startMarker = (rows: number): string => `<!-- bench:results:${rows}:start (written by \`pnpm bench\`; edit outside these markers) -->`;
const endMarker = (rows: number): string => `<!-- bench:results:${rows}:end -->`;

export interface ReportInput {
  readonly machine: MachineInfo;
  readonly reference: ReferenceExport;
  readonly repeat: number;
  readonly summaries: readonly Summary[];
}

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderTable(summaries: readonly Summary[]): string {
  const lines = [
    '| benchmark | rows/s | MB/s | wall (median) | wall (min–max) | peak RSS (median) | vs naive |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of summaries) {
    if (s.status !== 'ok') {
      lines.push(`| ${s.name} | ${s.status} | | | | | |`);
      continue;
    }
    const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : (ms / 1000).toFixed(2));
    lines.push(
      `| ${s.name} | ${fmt(s.rowsPerSecond)} | ${fmt(s.megabytesPerSecond, 1)} | ${seconds(s.medianWallMs)} s | ` +
        `${seconds(s.minWallMs)}–${seconds(s.maxWallMs)} s | ${s.medianPeakRssBytes === undefined ? '?' : `${fmt(s.medianPeakRssBytes / 1e6)} MB`} | ` +
        `${s.speedupVsBaseline === undefined ? '–' : `${s.speedupVsBaseline.toFixed(2)}×`} |`,
    );
  }
  return lines.join('\n');
}

export function renderVerdict(summaries: readonly Summary[], rows: number): string {
  const lines = ['| issue | goal | verdict | measured |', '|---|---|---|---|'];
  for (const target of TARGETS) {
    const { verdict, detail } =
      target.rows === rows ? target.evaluate(summaries) : { verdict: 'not measured', detail: `stated for ${fmt(target.rows)} rows` };
    lines.push(`| ${target.issue} | ${target.goal} | ${verdict === 'pass' ? '✅ pass' : verdict === 'FAIL' ? '❌ FAIL' : '⏳ not measured'} | ${detail} |`);
  }
  return lines.join('\n');
}

export function renderReport({ machine, reference, repeat, summaries }: ReportInput): string {
  const { stats } = reference;
  const versions = Object.entries(machine.versions).map(([name, version]) => `${name} ${version}`).join(', ');
  const notes = summaries.flatMap((s) => s.notes.map((note) => `- **${s.name}**: ${note}`));
  return [
    `### ${fmt(stats.rows)} rows — ${machine.date}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB RAM; ${machine.os}; Node ${machine.node}; ` +
      `load average ${machine.loadAverage.toFixed(1)} at the end (shared machine)`,
    `- Versions: ${versions}; commit ${machine.commit}`,
    `- Input: the reference export (\`generateSampleExport\`, seed 1): ${fmt(stats.rows)} rows, ${fmt(stats.bytes / 1e6, 1)} MB, ` +
      `${fmt(stats.distinctIds)} distinct ids, ${fmt(stats.duplicateRows)} duplicate rows, ${fmt(stats.invalidIdRows)} invalid ids, ` +
      `${fmt(stats.forbiddenValueRows.notes + stats.forbiddenValueRows.company)} rows with a comma or LF in a value` +
      (reference.generatedInMs === undefined ? ' (cached)' : ` (generated in ${(reference.generatedInMs / 1000).toFixed(1)} s)`),
    `- Method: each benchmark run ${repeat}× as a child process, interleaved; medians; rows/s and MB/s are input rows and bytes ` +
      'over wall time (process start to exit); peak RSS is the child’s maxRSS.',
    '',
    renderTable(summaries),
    '',
    ...summaries.map((s) => `- *${s.name}*: ${s.description}`),
    ...(notes.length > 0 ? ['', 'Notes:', ...notes] : []),
    '',
    '**Verdict**',
    '',
    renderVerdict(summaries, stats.rows),
  ].join('\n');
}

/** Replaces the generated section for `rows` in RESULTS.md (or appends one), keeping whatever people wrote around it. */
export async function updateResultsFile(path: string, rows: number, section: string): Promise<void> {
  const START = startMarker(rows);
  const END = endMarker(rows);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '';
  }
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const generated = `${START}\n${section}\n${END}`;
  if (start >= 0 && end > start) text = text.slice(0, start) + generated + text.slice(end + END.length);
  else text = `${text.trimEnd()}${text === '' ? '' : '\n\n'}${generated}\n`;
  await writeFile(path, text);
}
