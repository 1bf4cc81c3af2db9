/**
 * Progress while a run goes: one updating line on a TTY stderr, plain periodic lines otherwise (cron and CI
 * logs), nothing extra with `--json` (the NDJSON event stream carries progress events instead).
 */
import type { RunContext } from '@bulkpipe/transforms';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';

export interface ProgressOptions {
  /** Total input bytes when known (files), for the percentage and the ETA. */
  totalBytes?: number;
  /** Where the human lines go. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** @default 250 on a TTY, 10000 otherwise */
  intervalMs?: number;
  /** Called with a progress snapshot on every tick (for `--json`). */
  onTick?: (snapshot: ProgressSnapshot) => void;
  /** Print human lines. @default true */
  human?: boolean;
}

export interface ProgressSnapshot {
  elapsedMs: number;
  rowsRead: number;
  bytesRead: number;
  rejected: number;
  batches: number;
  rowsPerSecond: number;
  /** 0–1, by bytes, when the total is known. */
  fraction?: number;
  etaMs?: number;
}

export class ProgressReporter {
  private readonly stream: NodeJS.WriteStream;
  private readonly isTty: boolean;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt: number;
  private lineShown = false;

  constructor(
    private readonly ctx: RunContext,
    private readonly options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.isTty = this.stream.isTTY === true;
    this.startedAt = ctx.clock.now();
    const intervalMs = options.intervalMs ?? (this.isTty ? 250 : 10_000);
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  snapshot(): ProgressSnapshot {
    const elapsedMs = Math.max(1, this.ctx.clock.now() - this.startedAt);
    const { read, bytesRead, rejected, batches } = this.ctx.counters;
    const snapshot: ProgressSnapshot = { elapsedMs, rowsRead: read, bytesRead, rejected, batches, rowsPerSecond: (read / elapsedMs) * 1000 };
    const total = this.options.totalBytes;
    if (total !== undefined && total > 0) {
      snapshot.fraction = Math.min(1, bytesRead / total);
      if (bytesRead > 0) snapshot.etaMs = (elapsedMs * (total - bytesRead)) / bytesRead;
    }
    return snapshot;
  }

  private tick(): void {
    const snapshot = this.snapshot();
    this.options.onTick?.(snapshot);
    if (this.options.human === false) return;
    const text = describe(snapshot);
    if (this.isTty) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.lineShown = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Prints a message line without tearing the TTY progress line (it is redrawn on the next tick). */
  log(message: string): void {
    if (this.lineShown) {
      this.stream.write(`\r\x1b[2K${message}\n`);
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  /** Stops ticking and clears the TTY line, so the summary starts on a clean line. */
  stop(): void {
    clearInterval(this.timer);
    if (this.lineShown) this.stream.write('\r\x1b[2K');
  }
}

function describe(snapshot: ProgressSnapshot): string {
  const parts = [
    snapshot.fraction !== undefined ? `${(snapshot.fraction * 100).toFixed(1)} %` : undefined,
    `${formatBytes(snapshot.bytesRead)} read`,
    `${formatCount(snapshot.rowsRead)} rows`,
    `${formatRate(snapshot.rowsPerSecond)} rows/s`,
    `${formatCount(snapshot.rejected)} rejected`,
    `${formatCount(snapshot.batches)} batches`,
    snapshot.etaMs !== undefined ? `ETA ${formatDuration(snapshot.etaMs)}` : undefined,
  ];
  return parts.filter((part) => part !== undefined).join(' · ');
}
