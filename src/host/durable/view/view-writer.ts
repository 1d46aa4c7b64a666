/**
 * Writes the `{hub}Instances` / `{hub}History` view in the background. The engine's memory is the
 * authority; these tables exist so Storage Explorer and Durable Functions Monitor still show every
 * instance, so nothing here is ever read back to decide anything, and a write never holds up the
 * engine: `update` only records what changed.
 *
 * - Coalesced per instance: the latest snapshot wins, appended history rows accumulate (by
 *   sequence number), and a change waits about `delayMs` before it is written, so an instance that
 *   finishes within that time costs one history transaction and one Instances upsert.
 * - Bounded: at most `maxConcurrency` instances are being written at once (one storage request
 *   each at a time), oldest change first. While the engine's event loop is saturated (over 70 %
 *   busy, sampled every 250 ms or more; `saturated` says so, by default this thread's own) each
 *   slot rests after a write so that it is busy only `busyShare` of the time: the lag grows under
 *   saturation and shrinks again when the load eases; `lag()` reports it. (A view write costs
 *   Azurite about 4 ms of CPU and the writer about 3 ms for an instance of 8 events, measured on the
 *   2-core machine: on its own thread it still takes a core the engine and Azurite need.)
 * - Ordered per instance: one write per instance at a time; what arrives meanwhile waits for it.
 * - Never lost while the process lives: a failed write goes back into the queue, merged with
 *   whatever arrived since, and is retried with exponential backoff (to 30 s); failures are logged
 *   (at most one line per 5 s, with a count) and each recovery once. A missing table or container (say, Azurite restarted in memory) is
 *   created on the way.
 * - A newer execution of an id replaces the old one the way the provider does: rows are upserted
 *   from sequence 0 with the new ExecutionId and the sentinel names it; older rows past the new
 *   history's end stay, tagged with the old ExecutionId, which the provider's readers skip. Rows of
 *   the old execution not yet written when the new one arrives are dropped, not written.
 * - `remove` (purge) deletes the partition's history rows, the Instances row and the instance's
 *   large-message blobs, as the provider's purge does; it lists the partition's keys to find them.
 */
import { gzipSync } from 'node:zlib';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { HistoryEvent } from '../history.js';
import { escapePartitionKey } from './partition-key.js';
import { eventLoopSaturation } from './saturation.js';
import { type BuiltRow, historyBatches, historyRow, type InstanceSnapshot, instanceRow, type RowOptions } from './view-rows.js';

export type { InstanceSnapshot } from './view-rows.js';

export interface ViewWriterOptions {
  instances: TableClient;
  history: TableClient;
  hubName: string;
  largeMessages?: ContainerClient;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How far behind the engine the view aims to be when the load leaves room; default 1000 ms. */
  delayMs?: number;
  /** Instances written at once; default 2. */
  maxConcurrency?: number;
  /** Share of its slots' time the writer keeps busy while the engine's event loop is saturated; default 0.1. */
  busyShare?: number;
  /** Whether the engine's event loop is saturated now; default: this thread's (see saturation.ts). */
  saturated?: () => boolean;
}

export interface ViewLag {
  pendingInstances: number;
  oldestMs: number;
}

/** What is still to be written for one instance. */
interface Change {
  snapshot?: InstanceSnapshot;
  events: Map<number, HistoryEvent>;
  /** Purge first: set by remove(), cleared once the rows are gone. */
  removeFirst: boolean;
  /** When the oldest unwritten part of this change arrived (ms). */
  since: number;
  /** Order number of the oldest unwritten part, for flush(). */
  ticket: number;
  attempts: number;
  retryAt: number;
}

const MAX_BACKOFF_MS = 30_000;
const FAILURE_LOG_INTERVAL_MS = 5_000;

export class ViewWriter {
  private readonly pending = new Map<string, Change>();
  private readonly inFlight = new Map<string, { ticket: number; since: number }>();
  private readonly waiters: { ticket: number; resolve: () => void }[] = [];
  private readonly delayMs: number;
  private readonly maxConcurrency: number;
  private readonly rows: RowOptions;
  private ticket = 0;
  private flushTicket = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private lastFailureLog = -Infinity;
  private suppressedFailures = 0;
  private failuresSinceSuccess = 0;
  private resting = 0;
  private readonly busyShare: number;
  private readonly saturated: () => boolean;

  constructor(private readonly o: ViewWriterOptions) {
    this.delayMs = Math.max(0, o.delayMs ?? 1000);
    this.maxConcurrency = Math.max(1, o.maxConcurrency ?? 2);
    this.busyShare = Math.min(1, Math.max(0.01, o.busyShare ?? 0.1));
    this.saturated = o.saturated ?? eventLoopSaturation();
    this.rows = { hubName: o.hubName, largeMessagesUrl: o.largeMessages?.url };
  }

  update(s: InstanceSnapshot, appended: HistoryEvent[], firstSequence: number): void {
    try {
      const c = this.changeFor(s.instanceId);
      if (c.snapshot && c.snapshot.executionId !== s.executionId) c.events.clear();
      // Copies: the engine may hand over its live record and mutate it after this returns.
      c.snapshot = { ...s };
      appended.forEach((e, i) => c.events.set(firstSequence + i, { ...e }));
      this.arm(c.since + this.delayMs);
    } catch (err) {
      this.o.log('error', `view: could not queue ${s?.instanceId}: ${String(err)}`);
    }
  }

  remove(instanceId: string): void {
    const c = this.changeFor(instanceId);
    c.snapshot = undefined;
    c.events.clear();
    c.removeFirst = true;
    this.arm(c.since + this.delayMs);
  }

  lag(): ViewLag {
    const ids = new Set([...this.pending.keys(), ...this.inFlight.keys()]);
    let oldest = Infinity;
    for (const c of this.pending.values()) oldest = Math.min(oldest, c.since);
    for (const f of this.inFlight.values()) oldest = Math.min(oldest, f.since);
    return { pendingInstances: ids.size, oldestMs: oldest === Infinity ? 0 : Date.now() - oldest };
  }

  /** Writes what is queued now without waiting for `delayMs`; resolves once it is all written (retrying as long as it takes). */
  flush(): Promise<void> {
    const ticket = this.ticket;
    if (this.settled(ticket)) return Promise.resolve();
    this.flushTicket = Math.max(this.flushTicket, ticket);
    const done = new Promise<void>((resolve) => this.waiters.push({ ticket, resolve }));
    this.timer?.ref();
    this.arm(Date.now());
    return done;
  }

  start(): void {
    this.running = true;
    this.arm(Date.now());
  }

  async stop(): Promise<void> {
    await this.flush();
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private changeFor(instanceId: string): Change {
    this.ticket++;
    let c = this.pending.get(instanceId);
    if (!c) {
      c = { events: new Map(), removeFirst: false, since: Date.now(), ticket: this.ticket, attempts: 0, retryAt: 0 };
      this.pending.set(instanceId, c);
    }
    return c;
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    this.holdProcess(this.timer);
  }

  /** Starts the writes that are due, oldest first, up to the concurrency bound. */
  private pump(): void {
    const now = Date.now();
    let wake = Infinity;
    for (const [id, c] of this.pending) {
      if (this.inFlight.size + this.resting >= this.maxConcurrency) return;
      if (this.inFlight.has(id)) continue;
      const urgent = c.ticket <= this.flushTicket;
      if (!this.running && !urgent) continue;
      const due = urgent ? c.retryAt : Math.max(c.since + this.delayMs, c.retryAt);
      if (due > now) {
        wake = Math.min(wake, due);
        continue;
      }
      this.pending.delete(id);
      this.inFlight.set(id, { ticket: c.ticket, since: c.since });
      const started = Date.now();
      void this.write(id, c).finally(() => {
        this.inFlight.delete(id);
        this.notify();
        this.rest(Date.now() - started);
        this.pump();
      });
    }
    if (wake !== Infinity) this.arm(wake);
  }

  /** Holds the slot a while after a write of `tookMs` when the process is saturated, so the view takes only its share. */
  private rest(tookMs: number): void {
    if (this.busyShare >= 1 || !this.saturated()) return;
    this.resting++;
    this.holdProcess(
      setTimeout(
        () => {
          this.resting--;
          this.pump();
        },
        tookMs * (1 / this.busyShare - 1),
      ),
    );
  }

  /**
   * The view alone is no reason to keep the process alive, but a flush is: a graceful stop awaits
   * it, and Node would otherwise exit mid-flush with only an unref'd retry timer left.
   */
  private holdProcess(timer: NodeJS.Timeout): void {
    if (this.waiters.length === 0) timer.unref();
  }

  private async write(id: string, c: Change): Promise<void> {
    try {
      if (c.removeFirst) {
        await this.deleteAll(id);
        c.removeFirst = false;
      }
      if (c.snapshot) await this.writeRows(c.snapshot, c.events);
      if (this.failuresSinceSuccess > 0) {
        this.o.log(
          'info',
          `view: writes succeed again (${id} after ${c.attempts + 1} attempts; ${this.failuresSinceSuccess} failed writes in all)`,
        );
        this.failuresSinceSuccess = 0;
      }
    } catch (err) {
      await this.requeue(id, c, err);
    }
  }

  private async writeRows(s: InstanceSnapshot, events: Map<number, HistoryEvent>): Promise<void> {
    const history = [...events.entries()]
      .sort(([a], [b]) => a - b)
      .map(([seq, e]) => historyRow(s.instanceId, s.executionId, seq, e, this.rows));
    const instance = instanceRow(s, this.rows);
    await this.uploadLarge([...history, instance]);
    if (history.length > 0) {
      for (const batch of historyBatches(
        s.instanceId,
        s.executionId,
        history.map((r) => r.entity),
      )) {
        await this.o.history.submitTransaction(batch.map((row): TransactionAction => ['upsert', row, 'Replace']));
      }
    }
    await this.o.instances.upsertEntity(instance.entity, 'Replace');
  }

  private async uploadLarge(rows: BuiltRow[]): Promise<void> {
    for (const row of rows) {
      if (row.omitted.length > 0)
        this.o.log(
          'warn',
          `view: ${row.entity.partitionKey}/${row.entity.rowKey}: ${row.omitted.join(', ')} over 60 KB and no large-message container; written as a note instead`,
        );
      for (const blob of row.blobs) {
        const body = gzipSync(blob.content);
        await this.o.largeMessages?.getBlockBlobClient(blob.blobName).upload(body, body.length);
      }
    }
  }

  private async deleteAll(instanceId: string): Promise<void> {
    const pk = escapePartitionKey(instanceId);
    const keys: string[] = [];
    try {
      for await (const e of this.o.history.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['RowKey'] } })) {
        if (typeof e.rowKey === 'string') keys.push(e.rowKey);
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for (let i = 0; i < keys.length; i += 100) {
      await this.o.history.submitTransaction(
        keys.slice(i, i + 100).map((rowKey): TransactionAction => ['delete', { partitionKey: pk, rowKey }]),
      );
    }
    await this.o.instances.deleteEntity(pk, '').catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    const blobs = this.o.largeMessages;
    if (!blobs) return;
    try {
      for await (const b of blobs.listBlobsFlat({ prefix: `${pk}/` })) await blobs.deleteBlob(b.name, { deleteSnapshots: 'include' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Puts a failed change back, merged with what arrived for the instance meanwhile (which is newer). */
  private async requeue(id: string, failed: Change, err: unknown): Promise<void> {
    const attempts = failed.attempts + 1;
    this.failuresSinceSuccess++;
    const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempts - 1, 10)) * (0.8 + Math.random() * 0.4);
    this.logFailure(`view: writing ${id} failed (attempt ${attempts}, retrying in ${Math.round(backoff)} ms): ${describe(err)}`);
    if (isNotFound(err)) await this.createMissing();
    const newer = this.pending.get(id);
    const merged = newer ?? failed;
    if (newer && !newer.removeFirst) {
      newer.removeFirst = failed.removeFirst;
      if (newer.snapshot?.executionId === failed.snapshot?.executionId) {
        for (const [seq, e] of failed.events) if (!newer.events.has(seq)) newer.events.set(seq, e);
      }
      newer.since = Math.min(newer.since, failed.since);
      newer.ticket = Math.min(newer.ticket, failed.ticket);
    }
    merged.attempts = attempts;
    merged.retryAt = Date.now() + backoff;
    this.pending.set(id, merged);
    this.arm(merged.retryAt);
  }

  /** One line per few seconds at most: an outage fails every queued instance, and the log should say so once, with a count. */
  private logFailure(message: string): void {
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) {
      this.suppressedFailures++;
      return;
    }
    const more = this.suppressedFailures > 0 ? ` (and ${this.suppressedFailures} more failed writes since the last report)` : '';
    this.o.log('warn', message + more);
    this.lastFailureLog = now;
    this.suppressedFailures = 0;
  }

  private async createMissing(): Promise<void> {
    try {
      await Promise.all([this.o.instances.createTable(), this.o.history.createTable(), this.o.largeMessages?.createIfNotExists()]);
    } catch (err) {
      this.o.log('warn', `view: could not create the view's tables: ${describe(err)}`);
    }
  }

  private settled(ticket: number): boolean {
    for (const c of this.pending.values()) if (c.ticket <= ticket) return false;
    for (const f of this.inFlight.values()) if (f.ticket <= ticket) return false;
    return true;
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w && this.settled(w.ticket)) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | null)?.statusCode === 404;
}

function describe(err: unknown): string {
  const e = err as { statusCode?: number; code?: string; message?: string } | null;
  return (
    [e?.statusCode, e?.code, e?.message ?? String(err)]
      .filter((x) => x !== undefined)
      .join(' ')
      .split('\n')[0] ?? String(err)
  );
}
