/**
 * A small background writer of the `{hub}Instances` and `{hub}History` tables: coalesced per
 * instance (the latest state, and the history rows appended since the last write), a few writes
 * at a time, never read back by the engine. Large values go to blobs as the provider does.
 */
import type { TableClient, TableTransaction } from '@azure/data-tables';
import type { HistoryEvent } from './history.js';
import type { PayloadStore } from './payloads.js';
import type { InstanceSnapshot, ViewSink } from './view-sink.js';

interface Due {
  snapshot: InstanceSnapshot;
  events: HistoryEvent[];
  firstSequence: number;
  since: number;
}

const CONCURRENCY = 4;
const IDLE_MS = 50;

export class SimpleViewWriter implements ViewSink {
  private readonly due = new Map<string, Due>();
  private readonly removals = new Set<string>();
  /** Instances with a write in flight: their next write waits, so rows never go back in time. */
  private readonly writing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private active = 0;
  private stopped = true;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly o: {
      instances: TableClient;
      history: TableClient;
      payloads: PayloadStore;
      log: (level: 'info' | 'warn' | 'error', message: string) => void;
    },
  ) {}

  update(s: InstanceSnapshot, appended: HistoryEvent[], firstSequence: number): void {
    this.removals.delete(s.instanceId);
    const prev = this.due.get(s.instanceId);
    if (prev && prev.snapshot.executionId === s.executionId && prev.firstSequence + prev.events.length === firstSequence) {
      prev.snapshot = s;
      prev.events.push(...appended);
    } else {
      // A new execution (or the first update): the older execution's unwritten rows are superseded.
      this.due.set(s.instanceId, { snapshot: s, events: [...appended], firstSequence, since: prev?.since ?? Date.now() });
    }
    this.kick();
  }

  remove(instanceId: string): void {
    this.due.delete(instanceId);
    this.removals.add(instanceId);
    this.kick();
  }

  lag(): { pendingInstances: number; oldestMs: number } {
    let oldest = Date.now();
    for (const d of this.due.values()) oldest = Math.min(oldest, d.since);
    return { pendingInstances: this.due.size + this.removals.size, oldestMs: Date.now() - oldest };
  }

  async flush(): Promise<void> {
    while (this.due.size > 0 || this.removals.size > 0 || this.active > 0) {
      this.pump();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private kick(): void {
    if (this.stopped || this.timer) return;
    // A short delay lets an instance that finishes quickly be written once, in its final state.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, IDLE_MS);
  }

  private pump(): void {
    while (this.active < CONCURRENCY && (this.removals.size > 0 || this.due.size > 0)) {
      const removal = this.removals.values().next();
      if (!removal.done) {
        this.removals.delete(removal.value);
        this.run(() => this.purge(removal.value));
        continue;
      }
      const next = [...this.due].find(([id]) => !this.writing.has(id));
      if (!next) return;
      const [id, due] = next;
      this.due.delete(id);
      this.writing.add(id);
      this.run(() => this.write(due).finally(() => this.writing.delete(id)));
    }
  }

  private run(work: () => Promise<void>): void {
    this.active++;
    work()
      .catch((err: unknown) => this.o.log('warn', `Table view write failed (the engine does not depend on it): ${String(err)}`))
      .finally(() => {
        this.active--;
        this.waiters.splice(0).forEach((w) => w());
        if (this.due.size > 0 || this.removals.size > 0) this.kick();
      });
  }

  private async write(d: Due): Promise<void> {
    const s = d.snapshot;
    const entity = await this.o.payloads.offload(instanceRow(s, d.firstSequence + d.events.length), s.instanceId);
    const rows: TableTransaction['actions'] = await Promise.all(
      d.events.map(async (e, i) => {
        const row = await this.o.payloads.offload(
          { ExecutionId: s.executionId, EventType: e.EventType, Name: e.Name ?? '', Event: JSON.stringify(e) },
          s.instanceId,
        );
        return ['upsert', { partitionKey: s.instanceId, rowKey: `${s.executionId}:${String(d.firstSequence + i).padStart(10, '0')}`, ...row }, 'Replace'] as TableTransaction['actions'][number];
      }),
    );
    for (let start = 0; start < rows.length; start += 100) await this.o.history.submitTransaction(rows.slice(start, start + 100));
    await this.o.instances.upsertEntity({ partitionKey: s.instanceId, rowKey: '', ...entity }, 'Replace');
  }

  private async purge(instanceId: string): Promise<void> {
    const keys: string[] = [];
    for await (const row of this.o.history.listEntities({ queryOptions: { filter: `PartitionKey eq '${instanceId.replace(/'/g, "''")}'`, select: ['RowKey'] } })) {
      keys.push(String(row.rowKey));
    }
    for (let i = 0; i < keys.length; i += 100) {
      await this.o.history.submitTransaction(keys.slice(i, i + 100).map((rowKey) => ['delete', { partitionKey: instanceId, rowKey }]));
    }
    await this.o.instances.deleteEntity(instanceId, '').catch((err: unknown) => {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    });
    await this.o.payloads.deleteOwner(instanceId);
  }
}

function instanceRow(s: InstanceSnapshot, historyLength: number): Record<string, unknown> {
  return {
    Name: s.name,
    ExecutionId: s.executionId,
    RuntimeStatus: s.runtimeStatus,
    Input: s.input ?? undefined,
    Output: s.output ?? undefined,
    CustomStatus: s.customStatus ?? undefined,
    CreatedTime: s.createdTime,
    LastUpdatedTime: s.lastUpdatedTime,
    CompletedTime: s.completedTime,
    HistoryLength: historyLength,
  };
}
