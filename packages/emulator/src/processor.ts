import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AttributeColumns } from './attribute-columns.js';
import { RowCursor } from './batch-text.js';
import type { BatchHeader, BatchTextRules } from './batch-text.js';
import { unitHash } from './hash.js';
import { GroupedRowApplier } from './profiles.js';
import type { RowWrite } from './profiles.js';
import type { ClientSettings } from './settings.js';
import type { BatchRecord, Store } from './store.js';

/**
 * Target processes batches asynchronously: `success=true` means queued. The processor applies queued work
 * in arrival order after each item's delay, a batch in chunks of `chunkRows` rows per SQLite transaction,
 * yielding to the event loop between chunks so status polls answer `incomplete` while a big batch runs.
 */

export interface QueuedBatch {
  readonly record: BatchRecord;
  /** The decoded `batch` field. */
  readonly text: string;
  readonly header: BatchHeader;
  readonly rules: BatchTextRules;
  readonly settings: Readonly<ClientSettings>;
  /** Injected by a `stuck` fault or the admin API: the batch never completes. */
  stuck: boolean;
  readonly drops: ReadonlyArray<{ fraction: number; salt: number }>;
}

/** Rows per multi-row INSERT of new profiles (measured: 10-50 rows per statement is ~1.5x one row each). */
const INSERT_GROUP_ROWS = 32;

/** Longest a chunk waits for bodies being received before it runs anyway. */
const RECEIVE_PRIORITY_MS = 2_000;

type QueueItem = { readonly readyAt: number; readonly batch: QueuedBatch } | { readonly readyAt: number; readonly task: () => void };

export interface ProcessorOptions {
  readonly store: Store;
  readonly chunkRows: number;
  readonly seed: number;
  /** The emulator's clock (injectable), used for timestamps written to profiles and batches. */
  readonly now: () => number;
}

export class BatchProcessor {
  readonly #options: ProcessorOptions;
  readonly #queue: QueueItem[] = [];
  #running = false;
  #paused = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];
  readonly #pending = new Map<string, QueuedBatch>();
  /** Request bodies being received: applying waits for them (see `receiving`). */
  #receiving = 0;
  #receiveWaiters: Array<() => void> = [];

  constructor(options: ProcessorOptions) {
    this.#options = options;
  }

  /** Queues a batch; it starts after `delayMs` (real time) once the batches before it are done. */
  enqueueBatch(batch: QueuedBatch, delayMs: number): void {
    this.#pending.set(batch.record.batch_id, batch);
    this.#queue.push({ readyAt: performance.now() + delayMs, batch });
    this.#pump();
  }

  /** Queues a small piece of work (a single profile update) behind the batches. */
  enqueueTask(task: () => void, delayMs: number): void {
    this.#queue.push({ readyAt: performance.now() + delayMs, task });
    this.#pump();
  }

  /** Marks a queued or running batch stuck; returns false when it is not pending here. */
  markStuck(batchId: string): boolean {
    const batch = this.#pending.get(batchId);
    if (batch === undefined) return false;
    batch.stuck = true;
    return true;
  }

  get pendingCount(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Holds queued work (a deterministic way for tests to observe `incomplete`). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /**
   * Marks a request body as being received until `work` settles. Chunks of a batch being applied wait
   * meanwhile: applying shares the event loop with the upload, and an upload that gets one read per applied
   * chunk took 3-5 s instead of ~0.5 s for 50 MB while a previous batch was applied. Target queues work
   * behind its intake, not the other way round.
   */
  async receiving<T>(work: Promise<T>): Promise<T> {
    this.#receiving += 1;
    try {
      return await work;
    } finally {
      this.#receiving -= 1;
      if (this.#receiving === 0) this.#wakeReceiveWaiters();
    }
  }

  /** Until no body is arriving, or RECEIVE_PRIORITY_MS at most: a stalled upload must not stall processing. */
  #receiveWindow(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RECEIVE_PRIORITY_MS);
      this.#receiveWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wakeReceiveWaiters(): void {
    const waiters = this.#receiveWaiters;
    this.#receiveWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once nothing is queued or running (never while paused with work queued). */
  waitForIdle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops after the current chunk; unfinished batches stay `incomplete` (and become `stuck` on the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#wakeReceiveWaiters();
    while (this.#running) await yieldToEventLoop();
    this.#queue.length = 0;
    this.#notifyIdle();
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #pump(): void {
    if (this.#running || this.#paused || this.#closed) return;
    const head = this.#queue[0];
    if (head === undefined) {
      this.#notifyIdle();
      return;
    }
    const wait = head.readyAt - performance.now();
    if (wait > 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, Math.ceil(wait));
      return;
    }
    this.#queue.shift();
    this.#running = true;
    void this.#run(head).finally(() => {
      this.#running = false;
      this.#pump();
    });
  }

  async #run(item: QueueItem): Promise<void> {
    if ('task' in item) {
      item.task();
      return;
    }
    try {
      await this.#applyBatch(item.batch);
    } finally {
      this.#pending.delete(item.batch.record.batch_id);
    }
  }

  async #applyBatch(batch: QueuedBatch): Promise<void> {
    const { store, chunkRows, seed, now } = this.#options;
    const record = batch.record;
    const cursor = new RowCursor(batch.text, batch.header.bodyStart, batch.rules);
    const names = batch.header.names;
    // undefined when an attribute name repeats: such rows take the general (name, value) route
    const columns = AttributeColumns.fromHeader(names);
    const failedIds: string[] = [];
    let done = false;
    while (!done) {
      if (this.#receiving > 0 && !this.#closed) await this.#receiveWindow();
      if (this.#closed) return;
      if (batch.stuck) {
        record.status = 'stuck';
        store.saveBatchProgress(record);
        return;
      }
      store.transaction(() => {
        const write: RowWrite = { client: record.client, version: record.version, keyType: batch.header.keyType, batchId: record.batch_id, now: now(), settings: batch.settings, seed };
        const applier = new GroupedRowApplier(store, write, INSERT_GROUP_ROWS, (id, outcome) => {
          if (outcome === 'successful') record.successful += 1;
          else if (outcome === 'notFound') record.not_found += 1;
          else {
            record.failed += 1;
            if (id !== '') failedIds.push(id);
          }
        });
        for (let n = 0; n < chunkRows; n++) {
          const cells = cursor.next();
          if (cells === undefined) {
            done = true;
            break;
          }
          const id = cells[0] ?? '';
          record.consumed += 1;
          if (batch.drops.length > 0 && batch.drops.some((drop) => unitHash(`${id}\u0000${record.consumed}`, drop.salt) < drop.fraction)) {
            // Adobe's documented loss: reported as a success, never written
            record.dropped += 1;
            record.successful += 1;
            continue;
          }
          if (columns !== undefined) {
            applier.applyCells(id, cells, columns);
            continue;
          }
          const pairs: Array<readonly [string, string]> = [];
          for (let column = 1; column < cells.length; column++) {
            const name = names[column];
            const value = cells[column]!;
            if (value !== '' && name !== undefined && name !== '') pairs.push([name, value]);
          }
          applier.apply(id, pairs);
        }
        applier.flush();
        store.saveCounters();
        if (done) {
          record.status = 'complete';
          record.completed_at = now();
          record.failed_ids = JSON.stringify(failedIds);
        }
        store.saveBatchProgress(record);
      });
      if (!done) await yieldToEventLoop();
    }
  }
}
