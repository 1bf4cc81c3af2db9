/** Upload progress as human lines (above the progress line) or NDJSON events. */
import type { UploadEmitter } from '@bulkpipe/transforms';
import type { CommandIo } from '../command-runner.js';
import { formatBytes, formatDuration } from './format.js';
import type { ProgressReporter } from './progress.js';

export function reportUploadEvents(events: UploadEmitter, io: CommandIo, progress: ProgressReporter): void {
  const say = (type: string, data: object, text: string): void => {
    if (io.json) io.event(type, data);
    else progress.log(text);
  };
  events.on('batch-submitting', (event) => {
    if (event.attempt === 1) say('batch-submitting', event, `batch #${event.seq}: sending ${event.rows} rows (${formatBytes(event.bytes)})`);
  });
  events.on('batch-accepted', (event) =>
    say('batch-accepted', event, `batch #${event.seq}: ${event.resumed ? 'accepted by an earlier run, not re-sent' : `accepted as ${event.batchId ?? event.statusUrl}`}`),
  );
  events.on('batch-failed', (event) => say('batch-failed', event, `batch #${event.seq}: FAILED ${event.code}: ${event.message}`));
  events.on('retry-scheduled', (event) =>
    say('retry-scheduled', event, `batch #${event.seq}: ${event.operation} attempt ${event.attempt} got ${event.statusCode ?? event.code}; retrying in ${formatDuration(event.delayMs)}`),
  );
  events.on('rate-limited', (event) => {
    if (event.expectedWaitMs >= 1000) say('rate-limited', event, `rate limit: ${event.lane} waits ~${formatDuration(event.expectedWaitMs)} for the account's call budget`);
  });
  events.on('batch-status', (event) => {
    if (event.final) say('batch-status', event, `batch #${event.seq}: ${event.state} (${Object.entries(event.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  });
}
