/**
 * One pipeline run as the CLI does it: a run context with the configured ceiling, the rejects file, progress
 * or NDJSON events, and the summary. Shared by `split`, `validate`, `run` and `demo`.
 */
import { RunContext, RejectsCsvWriter, attachRejectsWriter } from '@bulkpipe/transforms';
import { isBulkpipeError } from '@bulkpipe/core';
import type { RejectedRow } from '@bulkpipe/core';
import type { CommandIo } from '../command-runner.js';
import { reportError } from '../command-runner.js';
import { ExitCode } from '../exit-codes.js';
import type { ResolvedPipeline } from '../options/pipeline-options.js';
import { ProgressReporter } from '../output/progress.js';
import { buildSummary, renderSummary } from '../output/summary.js';
import type { BatchSummary, RunSummary } from '../output/summary.js';

export interface PipelineRunOptions<R> {
  command: string;
  resolved: ResolvedPipeline;
  io: CommandIo;
  /** Runs the pipeline with the prepared context (into batch files, a null sink, or Target). */
  execute: (ctx: RunContext, progress: ProgressReporter) => Promise<R>;
  /** rejects.csv path, or undefined to keep rejects only in the summary. */
  rejectsPath?: string;
  /** The batches the sink has taken so far, for the summary. */
  batches: () => BatchSummary[];
  /** Stop at the reject ceiling (validate reports every problem instead). @default true */
  enforceRejectRate?: boolean;
}

export interface PipelineRunResult<R> {
  exitCode: ExitCode;
  summary: RunSummary;
  /** What `execute` returned, when it did not throw. */
  result?: R;
  error?: unknown;
}

export async function runPipelineCommand<R>(options: PipelineRunOptions<R>): Promise<PipelineRunResult<R>> {
  const { io, resolved } = options;
  const ctx = new RunContext({ signal: io.signal, maxRejectRate: resolved.maxRejectRate, enforceRejectRate: options.enforceRejectRate ?? true });
  const startedAt = ctx.clock.now();
  const rejects = options.rejectsPath !== undefined ? new RejectsCsvWriter(options.rejectsPath) : undefined;
  if (rejects) attachRejectsWriter(ctx, rejects);
  if (io.json) ctx.events.on('reject', (row: RejectedRow) => io.event('reject', { source: row.source, line: row.line, id: row.id, code: row.code, message: row.message }));
  io.event('start', { command: options.command, inputs: resolved.inputs, totalBytes: resolved.totalBytes });
  const progress = new ProgressReporter(ctx, {
    ...(resolved.totalBytes !== undefined ? { totalBytes: resolved.totalBytes } : {}),
    human: !io.json,
    onTick: (snapshot) => io.event('progress', { ...snapshot }),
  });

  let error: unknown;
  let result: R | undefined;
  try {
    result = await options.execute(ctx, progress);
  } catch (caught) {
    error = caught;
  } finally {
    progress.stop();
    await rejects?.close();
  }

  const stoppedBy = error === undefined ? undefined : io.signal.aborted ? 'aborted' : isBulkpipeError(error) ? error.code : 'error';
  const summary = buildSummary(options.command, resolved.inputs, ctx, startedAt, options.batches(), stoppedBy);
  let exitCode: ExitCode = ExitCode.OK;
  if (error !== undefined) {
    exitCode = reportError(io, options.command, error);
  } else if (!summary.booksBalance || summary.rejectRate > summary.maxRejectRate) {
    exitCode = ExitCode.FAILED;
  }
  return { exitCode, summary, error, ...(result !== undefined ? { result } : {}) };
}

/** The run report: human text on stderr, or the `summary` NDJSON event. */
export function printSummary(io: CommandIo, summary: RunSummary, exitCode: ExitCode, extra: object = {}): void {
  if (io.json) io.event('summary', { ...summary, ...extra, exitCode });
  else io.log(renderSummary(summary));
}
