/**
 * The upload half as `run` and `demo` share it: the pipeline run with upload progress, then the report on
 * stderr (or as the `summary` event), `report.json` in the output directory, and the exit code.
 */
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runUpload } from '@bulkpipe/transforms';
import type { UploadEmitter, UploadReport, UploadRunOptions } from '@bulkpipe/transforms';
import type { CommandIo } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import type { ResolvedPipeline } from '../options/pipeline-options.js';
import { reportUploadEvents } from '../output/upload-events.js';
import { renderUploadReport } from '../output/upload-report.js';
import type { RunSummary } from '../output/summary.js';
import { printSummary, runPipelineCommand } from './pipeline-run.js';

export interface UploadCommandOptions {
  command: string;
  resolved: ResolvedPipeline;
  io: CommandIo;
  /** rejects.csv, failed.csv and report.json go here. */
  out: string;
  /** Everything runUpload takes beyond the pipeline's options. */
  upload: Omit<UploadRunOptions, keyof ResolvedPipeline['pipeline'] | 'events' | 'failedCsvPath' | 'forceSignal'>;
}

export interface UploadCommandResult {
  exitCode: ExitCode;
  summary: RunSummary;
  report?: UploadReport;
}

export async function runUploadCommand({ command, resolved, io, out, upload }: UploadCommandOptions): Promise<UploadCommandResult> {
  const events: UploadEmitter = new EventEmitter();
  const result = await runPipelineCommand<UploadReport>({
    command,
    resolved,
    io,
    rejectsPath: join(out, 'rejects.csv'),
    batches: () => [],
    execute: (ctx, progress) => {
      reportUploadEvents(events, io, progress);
      return runUpload({ ...resolved.pipeline, ...upload, failedCsvPath: join(out, 'failed.csv'), events, forceSignal: io.forceSignal }, ctx);
    },
  });
  const report = result.result;
  // decided before the summary is printed: its `exitCode` must be the one the process exits with
  const exitCode = report === undefined || result.error !== undefined || result.exitCode !== ExitCode.OK ? result.exitCode : exitCodeForOutcome(report, upload.wait ?? true);
  printSummary(io, result.summary, exitCode, report ? { upload: report } : {});
  if (report === undefined) return { exitCode, summary: result.summary };
  if (!io.json) io.log(renderUploadReport(report));
  await writeReport(out, { summary: result.summary, upload: report });
  return { exitCode, summary: result.summary, report };
}

/** 0 when every batch is complete (or accepted with --no-wait, or planned in a dry run); 1 otherwise. */
export function exitCodeForOutcome(report: UploadReport, wait: boolean): ExitCode {
  switch (report.outcome) {
    case 'complete':
    case 'dry-run':
      return ExitCode.OK;
    case 'submitted':
      return wait ? ExitCode.FAILED : ExitCode.OK;
    default:
      return ExitCode.FAILED;
  }
}

export async function writeReport(out: string, content: object): Promise<void> {
  await writeFile(join(out, 'report.json'), `${JSON.stringify(content, null, 2)}\n`);
}
