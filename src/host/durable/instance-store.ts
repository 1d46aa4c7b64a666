import type { TableClient, TableTransaction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { RetryOptions } from './actions.js';
import type { HistoryEvent } from './history.js';
import type { PayloadStore } from './payloads.js';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Suspended' | 'ContinuedAsNew';

/** RowKey of the state row in `{hub}History` (the Azure Storage provider keeps one there too). */
const SENTINEL = 'sentinel';

export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export interface RetryEntry {
  attempt: number;
  taskId: number;
  /** Set while the retry timer runs. */
  timerId?: number;
  name: string;
  input: unknown;
  options: RetryOptions;
}

/** What the host itself needs to continue an instance: task ids it handed out, retries, timers. */
export interface Bookkeeping {
  nextId: number;
  /** Ordinal of an id-taking action → the task id the SDK gave it. */
  ordinalIds: number[];
  /** Retryable activities by ordinal: attempt number and the task id of the current attempt. */
  retries: Record<number, RetryEntry>;
  /** Timers not yet fired or cancelled: id → fire time (ISO). */
  timers: Record<number, string>;
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  /** History rows committed for this execution. */
  historyLength: number;
  book: Bookkeeping;
}

export function emptyBook(): Bookkeeping {
  return { nextId: 0, ordinalIds: [], retries: {}, timers: {} };
}

/**
 * The `{hub}Instances` and `{hub}History` tables, in the Azure Storage provider's shape
 * (PartitionKey = instance id), so Storage Explorer and Durable Functions Monitor can read them.
 */
export class InstanceStore {
  constructor(
    private readonly instances: TableClient,
    private readonly history: TableClient,
    private readonly payloads: PayloadStore,
  ) {}

  /**
   * The instance's state. The truth is the sentinel row in `{hub}History`, written in the same
   * transaction as the history it describes; the `{hub}Instances` row is the queryable view, and
   * holds a started instance until its first episode commits.
   */
  async read(instanceId: string): Promise<InstanceRecord | undefined> {
    // Both at once: a new id (the common case at start) misses both.
    const [sentinel, view] = await Promise.all([this.getRow(this.history, instanceId, SENTINEL), this.getRow(this.instances, instanceId, '')]);
    const row = sentinel ?? view;
    return row && fromRow(await this.payloads.restore(row));
  }

  /** Writes the state (sentinel and view) with no new history: a start, a restart of a finished id. */
  async write(record: InstanceRecord): Promise<void> {
    await this.commit(record, []);
  }

  /**
   * Appends an episode's events and the new state in one transaction per 100 rows (the table
   * batch limit; the sentinel rides in the last), and updates the view beside it.
   */
  async commit(record: InstanceRecord, events: HistoryEvent[]): Promise<void> {
    const entity = await this.payloads.offload(toRow(record), record.instanceId);
    const history = (async () => {
      const rows = await Promise.all(events.map((e, i) => this.historyRow(record, record.historyLength - events.length + i, e)));
      rows.push(['upsert', { partitionKey: record.instanceId, rowKey: SENTINEL, ...entity }, 'Replace']);
      for (let start = 0; start < rows.length; start += 100) await this.history.submitTransaction(rows.slice(start, start + 100));
    })();
    const view = this.instances.upsertEntity({ partitionKey: record.instanceId, rowKey: '', ...entity }, 'Replace');
    await Promise.all([history, view]);
  }

  private async historyRow(record: InstanceRecord, seq: number, e: HistoryEvent): Promise<TableTransaction['actions'][number]> {
    const row = await this.payloads.offload(
      { ExecutionId: record.executionId, EventType: e.EventType, Name: e.Name ?? '', Event: JSON.stringify({ ...e, IsPlayed: true }) },
      record.instanceId,
    );
    return ['upsert', { partitionKey: record.instanceId, rowKey: `${record.executionId}:${String(seq).padStart(10, '0')}`, ...row }, 'Replace'];
  }

  private async getRow(table: TableClient, pk: string, rk: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await table.getEntity<Record<string, unknown>>(pk, rk);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    const rows = this.history.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId} and ExecutionId eq ${executionId} and RowKey ne ${SENTINEL}` },
    });
    const events: { seq: string; event: HistoryEvent }[] = [];
    for await (const row of rows) {
      const restored = await this.payloads.restore(row);
      events.push({ seq: String(row.rowKey), event: JSON.parse(String(restored.Event)) as HistoryEvent });
    }
    return events.sort((a, b) => a.seq.localeCompare(b.seq)).map((e) => e.event);
  }

  async purge(instanceId: string): Promise<void> {
    const rows = this.history.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ['RowKey'] } });
    const keys: string[] = [];
    for await (const row of rows) keys.push(String(row.rowKey));
    for (let i = 0; i < keys.length; i += 100) {
      await this.history.submitTransaction(keys.slice(i, i + 100).map((rowKey) => ['delete', { partitionKey: instanceId, rowKey }]));
    }
    await this.instances.deleteEntity(instanceId, '').catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    await this.payloads.deleteOwner(instanceId);
  }

  /** One page of instances matching the filter; `continuation` pages through large results. */
  async query(
    filter: { createdFrom?: string; createdTo?: string; statuses?: RuntimeStatus[] },
    continuation: string | undefined,
    pageSize: number,
  ): Promise<{ records: InstanceRecord[]; continuation?: string }> {
    const clauses: string[] = [];
    if (filter.createdFrom) clauses.push(odata`CreatedTime ge ${filter.createdFrom}`);
    if (filter.createdTo) clauses.push(odata`CreatedTime le ${filter.createdTo}`);
    if (filter.statuses?.length) clauses.push('(' + filter.statuses.map((s) => odata`RuntimeStatus eq ${s}`).join(' or ') + ')');
    const pages = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: clauses.length ? { filter: clauses.join(' and ') } : {} })
      .byPage({ maxPageSize: pageSize, continuationToken: continuation });
    const page = await pages.next();
    if (page.done) return { records: [] };
    const records = await Promise.all(page.value.map(async (row) => fromRow(await this.payloads.restore(row))));
    return { records, continuation: page.value.continuationToken };
  }
}

function toRow(r: InstanceRecord): Record<string, unknown> {
  return {
    Name: r.name,
    ExecutionId: r.executionId,
    RuntimeStatus: r.runtimeStatus,
    Input: r.input ?? undefined,
    Output: r.output ?? undefined,
    CustomStatus: r.customStatus ?? undefined,
    CreatedTime: r.createdTime,
    LastUpdatedTime: r.lastUpdatedTime,
    HistoryLength: r.historyLength,
    HostBookkeeping: JSON.stringify(r.book),
  };
}

function fromRow(row: Record<string, unknown>): InstanceRecord {
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    instanceId: String(row.partitionKey),
    name: String(row.Name),
    executionId: String(row.ExecutionId),
    runtimeStatus: row.RuntimeStatus as RuntimeStatus,
    input: text(row.Input),
    output: text(row.Output),
    customStatus: text(row.CustomStatus),
    createdTime: String(row.CreatedTime),
    lastUpdatedTime: String(row.LastUpdatedTime),
    historyLength: Number(row.HistoryLength ?? 0),
    book: typeof row.HostBookkeeping === 'string' ? (JSON.parse(row.HostBookkeeping) as Bookkeeping) : emptyBook(),
  };
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}
