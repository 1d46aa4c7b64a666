import { gunzipSync } from 'node:zlib';
import { odata, type TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventType, type HistoryEvent } from '../../../src/host/durable/history.js';
import { escapePartitionKey } from '../../../src/host/durable/view/partition-key.js';
import { ViewWriter, type ViewWriterOptions } from '../../../src/host/durable/view/view-writer.js';
import type { RunningAzurite } from '../../../src/host/storage/azurite.js';
import { createStorageClients, type StorageClients } from '../../../src/host/storage/connection.js';
import { captureLog, eventually, startTestAzurite } from '../../support/stack.js';
import { at, ev, snapshot } from '../../support/view-fixtures.js';

let azurite: RunningAzurite;
let storage: StorageClients;

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = createStorageClients(azurite.connectionString);
});
afterAll(async () => {
  await azurite?.stop();
});

interface Hub {
  instances: TableClient;
  history: TableClient;
  hubName: string;
}

async function hub(hubName: string, create = true): Promise<Hub> {
  const h = { instances: storage.table(`${hubName}Instances`), history: storage.table(`${hubName}History`), hubName };
  if (create) await Promise.all([h.instances.createTable(), h.history.createTable()]);
  return h;
}

function writer(h: Hub, extra: Partial<ViewWriterOptions> = {}): ViewWriter {
  return new ViewWriter({ ...h, log: captureLog().log, delayMs: 200, ...extra });
}

/** Every entity of a partition, with the service's own types (DateTime, Int32, Boolean) kept visible. */
async function rows(table: TableClient, instanceId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const filter = odata`PartitionKey eq ${escapePartitionKey(instanceId)}`;
  for await (const e of table.listEntities({ queryOptions: { filter }, disableTypeConversion: true })) out.push(e);
  return out;
}

const typed = (type: string, value: string) => ({ type, value });
const dateOf = (v: unknown): number => Date.parse((v as { value: string }).value);

describe('rows in the Azure Storage provider shape', () => {
  it('writes History rows keyed by X16 sequence with one typed column per field, and the Instances row', async () => {
    const h = await hub('ShapeHub');
    const w = writer(h);
    const id = 'shape/one#1';
    const history: HistoryEvent[] = [
      ev(EventType.OrchestratorStarted, {}, 1),
      ev(EventType.ExecutionStarted, { Name: 'hello', Input: '"in"' }, 1),
      ev(EventType.TaskScheduled, { EventId: 0, Name: 'sayHello' }, 1),
      ev(EventType.OrchestratorCompleted, {}, 1),
      ev(EventType.OrchestratorStarted, {}, 2),
      ev(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '"hi"', IsPlayed: true, MessageId: 'm-1' }, 2),
      ev(EventType.TimerCreated, { EventId: 1, FireAt: at(30) }, 2),
      ev(EventType.TimerFired, { TimerId: 1, FireAt: at(30) }, 30),
      ev(EventType.EventRaised, { Name: 'approve', Input: '{"ok":true}' }, 31),
      ev(EventType.TaskFailed, { TaskScheduledId: 2, Reason: 'boom', Details: 'stack' }, 32),
      ev(EventType.ExecutionCompleted, { EventId: 3, Result: '"done"' }, 33),
      ev(EventType.OrchestratorCompleted, {}, 33),
    ];
    w.update(snapshot(id, { runtimeStatus: 'Completed', output: '"done"', lastUpdatedTime: at(33), completedTime: at(33) }), history, 0);
    await w.flush();

    const got = await rows(h.history, id);
    expect(got.map((r) => r.rowKey)).toEqual([...history.map((_, i) => i.toString(16).toUpperCase().padStart(16, '0')), 'sentinel']);
    expect(got.every((r) => r.partitionKey === 'shape^0one^21')).toBe(true);
    expect(got.slice(0, -1).map((r) => (r.EventType as { value: string }).value)).toEqual(history.map((e) => EventType[e.EventType]));
    for (const [i, r] of got.slice(0, -1).entries()) {
      expect(r.ExecutionId).toEqual(typed('String', 'exec-1'));
      expect((r._Timestamp as { type: string }).type).toBe('DateTime');
      expect(dateOf(r._Timestamp)).toBe(Date.parse(history[i]!.Timestamp));
      expect(r.EventId).toEqual(typed('Int32', String(history[i]!.EventId)));
      expect(r.IsPlayed).toEqual(typed('Boolean', String(history[i]!.IsPlayed)));
      expect(r).not.toHaveProperty('MessageId');
      expect(r).not.toHaveProperty('Timestamp@odata.type');
    }
    const [, started, scheduled, , , completed, timer, fired, raised, failed, finished] = got;
    expect(started).toMatchObject({
      Name: typed('String', 'hello'),
      Input: typed('String', '"in"'),
      GenerateNewTrace: typed('Boolean', 'false'),
    });
    expect(JSON.parse((started!.OrchestrationInstance as { value: string }).value)).toEqual({ InstanceId: id, ExecutionId: 'exec-1' });
    expect(scheduled).toMatchObject({ Name: typed('String', 'sayHello'), EventId: typed('Int32', '0') });
    expect(completed).toMatchObject({
      TaskScheduledId: typed('Int32', '0'),
      Result: typed('String', '"hi"'),
      IsPlayed: typed('Boolean', 'true'),
    });
    expect((timer!.FireAt as { type: string }).type).toBe('DateTime');
    expect(dateOf(timer!.FireAt)).toBe(Date.parse(at(30)));
    expect(fired).toMatchObject({ TimerId: typed('Int32', '1') });
    expect(dateOf(fired!.FireAt)).toBe(Date.parse(at(30)));
    expect(raised).toMatchObject({ Name: typed('String', 'approve'), Input: typed('String', '{"ok":true}') });
    expect(failed).toMatchObject({
      TaskScheduledId: typed('Int32', '2'),
      Reason: typed('String', 'boom'),
      Details: typed('String', 'stack'),
    });
    expect(finished).toMatchObject({ OrchestrationStatus: typed('String', 'Completed'), Result: typed('String', '"done"') });
    expect(got.at(-1)).toMatchObject({ ExecutionId: typed('String', 'exec-1'), IsCheckpointComplete: typed('Boolean', 'true') });
    expect((got.at(-1)!.CheckpointCompletedTimestamp as { type: string }).type).toBe('DateTime');

    const [instance, ...more] = await rows(h.instances, id);
    expect(more).toHaveLength(0);
    expect(instance).toMatchObject({
      partitionKey: 'shape^0one^21',
      rowKey: '',
      Name: typed('String', 'hello'),
      Version: typed('String', ''),
      ExecutionId: typed('String', 'exec-1'),
      RuntimeStatus: typed('String', 'Completed'),
      Input: typed('String', '"in"'),
      Output: typed('String', '"done"'),
      CustomStatus: typed('String', 'null'),
      Generation: typed('Int32', '0'),
      TaskHubName: typed('String', 'ShapeHub'),
    });
    for (const [column, expected] of [
      ['CreatedTime', at(0)],
      ['LastUpdatedTime', at(33)],
      ['CompletedTime', at(33)],
    ] as const) {
      expect((instance![column] as { type: string }).type).toBe('DateTime');
      expect(dateOf(instance![column])).toBe(Date.parse(expected));
    }
    // The SDK's default conversion gives Dates for the DateTime columns, as Storage Explorer shows them.
    const plain = await h.instances.getEntity(escapePartitionKey(id), '');
    expect(plain.CreatedTime).toBeInstanceOf(Date);
  });

  it('moves a value over 60 KB to a gzip blob in {hub}-largemessages, as the provider names it', async () => {
    const h = await hub('LargeHub');
    const largeMessages = storage.blobs.getContainerClient('largehub-largemessages');
    await largeMessages.createIfNotExists();
    const w = writer(h, { largeMessages });
    const big = JSON.stringify('x'.repeat(40_000));
    w.update(snapshot('big-1', { input: big }), [ev(EventType.ExecutionStarted, { Name: 'hello', Input: big }, 1)], 0);
    await w.flush();

    const [started] = await rows(h.history, 'big-1');
    expect(started!.Input).toEqual(typed('String', ''));
    const blobName = (started!.InputBlobName as { value: string }).value;
    expect(blobName).toMatch(/^big-1\/history-0000000000000000-ExecutionStarted-[0-9A-F]{8}-Input\.json\.gz$/);
    expect(gunzipSync(await largeMessages.getBlobClient(blobName).downloadToBuffer()).toString()).toBe(big);

    const [instance] = await rows(h.instances, 'big-1');
    const url = (instance!.Input as { value: string }).value;
    expect(url.startsWith(`${largeMessages.url}/big-1/history--Input-`)).toBe(true);
    const instanceBlob = decodeURIComponent(url.slice(largeMessages.url.length + 1));
    expect(gunzipSync(await largeMessages.getBlobClient(instanceBlob).downloadToBuffer()).toString()).toBe(big);

    // Purge takes the instance's blobs with its rows, as the provider's purge does.
    w.remove('big-1');
    await w.flush();
    const left: string[] = [];
    for await (const b of largeMessages.listBlobsFlat({ prefix: 'big-1/' })) left.push(b.name);
    expect(left).toEqual([]);
    expect(await rows(h.history, 'big-1')).toHaveLength(0);
  });

  it('without a large-message container, writes a note column instead of the value and logs it', async () => {
    const h = await hub('NoBlobHub');
    const log = captureLog();
    const w = writer(h, { log: log.log });
    const big = 'y'.repeat(40_000);
    w.update(snapshot('big-2', { output: big, runtimeStatus: 'Completed' }), [ev(EventType.ExecutionCompleted, { Result: big }, 1)], 5);
    await w.flush();
    const [completed] = await rows(h.history, 'big-2');
    expect(completed!.rowKey).toBe('0000000000000005');
    expect(completed!.Result).toEqual(typed('String', ''));
    expect((completed!.ResultOmitted as { value: string }).value).toMatch(/^40000 bytes not written/);
    const [instance] = await rows(h.instances, 'big-2');
    expect((instance!.OutputOmitted as { value: string }).value).toMatch(/^40000 bytes not written/);
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('no large-message container'))).toBe(true);
  });
});

describe('coalescing, purge and restart of an id', () => {
  it('ten quick updates of one instance give one Instances write and all history rows, in order', async () => {
    const h = await hub('CoalesceHub');
    const upserts = vi.spyOn(h.instances, 'upsertEntity');
    const transactions = vi.spyOn(h.history, 'submitTransaction');
    const w = writer(h);
    w.start();
    for (let i = 0; i < 10; i++) {
      const status = i === 9 ? 'Completed' : 'Running';
      w.update(
        snapshot('c-1', { runtimeStatus: status, customStatus: `"step ${i}"`, lastUpdatedTime: at(i) }),
        [ev(EventType.EventRaised, { Name: `e${i}` }, i)],
        i,
      );
    }
    expect(w.lag().pendingInstances).toBe(1);
    const [instance] = await eventually(async () => {
      const found = await rows(h.instances, 'c-1');
      return found.length > 0 ? found : undefined;
    });
    await w.stop();
    expect(instance).toMatchObject({ RuntimeStatus: typed('String', 'Completed'), CustomStatus: typed('String', '"step 9"') });
    expect(upserts).toHaveBeenCalledTimes(1);
    expect(transactions).toHaveBeenCalledTimes(1);
    const history = await rows(h.history, 'c-1');
    expect(history.slice(0, -1).map((r) => (r.Name as { value: string }).value)).toEqual([...Array(10).keys()].map((i) => `e${i}`));
    expect(w.lag()).toEqual({ pendingInstances: 0, oldestMs: 0 });
  });

  it('writes the state as it was when update() was called, even if the caller mutates its object after', async () => {
    const h = await hub('CopyHub');
    const w = writer(h);
    const live = snapshot('copy-1');
    const started = ev(EventType.ExecutionStarted, { Name: 'hello' }, 1);
    w.update(live, [started], 0);
    live.runtimeStatus = 'Completed';
    live.executionId = 'exec-9';
    started.Name = 'changed';
    await w.flush();
    const [instance] = await rows(h.instances, 'copy-1');
    expect(instance).toMatchObject({ RuntimeStatus: typed('String', 'Running'), ExecutionId: typed('String', 'exec-1') });
    const [row] = await rows(h.history, 'copy-1');
    expect(row).toMatchObject({ Name: typed('String', 'hello'), ExecutionId: typed('String', 'exec-1') });
  });

  it('remove() after pending updates leaves no rows, including rows written before', async () => {
    const h = await hub('PurgeHub');
    const w = writer(h);
    w.update(snapshot('p-1'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    w.update(snapshot('keep'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await w.flush();
    expect(await rows(h.history, 'p-1')).toHaveLength(2);
    w.update(snapshot('p-1', { runtimeStatus: 'Completed' }), [ev(EventType.ExecutionCompleted, { Result: '1' }, 2)], 1);
    w.remove('p-1');
    await w.flush();
    expect(await rows(h.history, 'p-1')).toHaveLength(0);
    expect(await rows(h.instances, 'p-1')).toHaveLength(0);
    expect(await rows(h.history, 'keep')).toHaveLength(2);
    expect(await rows(h.instances, 'keep')).toHaveLength(1);
  });

  it('a newer execution of the same id takes over the rows and the sentinel', async () => {
    const h = await hub('RestartHub');
    const w = writer(h);
    const first = [
      ev(EventType.ExecutionStarted, { Name: 'hello' }, 1),
      ev(EventType.ExecutionCompleted, { Result: '1' }, 2),
      ev(EventType.OrchestratorCompleted, {}, 2),
    ];
    w.update(snapshot('r-1', { runtimeStatus: 'Completed', completedTime: at(2) }), first, 0);
    await w.flush();
    w.update(
      snapshot('r-1', { executionId: 'exec-2', createdTime: at(10), lastUpdatedTime: at(10) }),
      [ev(EventType.ExecutionStarted, { Name: 'hello' }, 10)],
      0,
    );
    await w.flush();
    const history = await rows(h.history, 'r-1');
    expect(history.map((r) => [r.rowKey, (r.ExecutionId as { value: string }).value])).toEqual([
      ['0000000000000000', 'exec-2'],
      ['0000000000000001', 'exec-1'],
      ['0000000000000002', 'exec-1'],
      ['sentinel', 'exec-2'],
    ]);
    const [instance] = await rows(h.instances, 'r-1');
    expect(instance).toMatchObject({ ExecutionId: typed('String', 'exec-2'), RuntimeStatus: typed('String', 'Running') });
    expect(instance).not.toHaveProperty('CompletedTime');
  });
});

describe('a bounded share of the machine', () => {
  it('never has more than maxConcurrency instances writing at once, and catches up with a backlog', async () => {
    const h = await hub('BoundHub');
    let open = 0;
    let most = 0;
    // Counts the real clients' requests in flight (each call still goes to Azurite).
    for (const [table, method] of [
      [h.instances, 'upsertEntity'],
      [h.history, 'submitTransaction'],
    ] as const) {
      const calls = table as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const original = calls[method]!.bind(table);
      calls[method] = async (...args: unknown[]) => {
        most = Math.max(most, ++open);
        try {
          return await original(...args);
        } finally {
          open--;
        }
      };
    }
    const w = writer(h, { delayMs: 0, maxConcurrency: 2, busyShare: 1 });
    for (let i = 0; i < 60; i++) w.update(snapshot(`b-${i}`), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    expect(w.lag().pendingInstances).toBe(60);
    w.start();
    await eventually(() => (w.lag().pendingInstances === 0 ? true : undefined), 30_000, 'the backlog to be written');
    expect(most).toBe(2);
    let written = 0;
    for await (const e of h.instances.listEntities()) if (String(e.partitionKey).startsWith('b-')) written++;
    expect(written).toBe(60);
    await w.stop();
  });
});

describe('failed writes are retried, not lost', () => {
  it('creates the tables when they do not exist yet, and writes the rows', async () => {
    const h = await hub('MissingHub', false);
    const log = captureLog();
    const w = writer(h, { log: log.log });
    w.update(snapshot('m-1'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await w.flush();
    expect(await rows(h.history, 'm-1')).toHaveLength(2);
    expect(await rows(h.instances, 'm-1')).toHaveLength(1);
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('writing m-1 failed'))).toBe(true);
  });

  it('keeps what was queued while Azurite is down and writes it after a restart on the same ports', async () => {
    const { startAzurite } = await import('../../../src/host/storage/azurite.js');
    let own = await startAzurite({});
    try {
      const clients = createStorageClients(own.connectionString);
      const h: Hub = { instances: clients.table('DownHubInstances'), history: clients.table('DownHubHistory'), hubName: 'DownHub' };
      const log = captureLog();
      const w = writer(h, { log: log.log, delayMs: 0 });
      w.start();
      const ports = own.ports;
      await own.stop();
      w.update(
        snapshot('d-1', { runtimeStatus: 'Completed' }),
        [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1), ev(EventType.ExecutionCompleted, { Result: '2' }, 2)],
        0,
      );
      await eventually(
        () => (log.lines.some((l) => l.message.includes('writing d-1 failed')) ? true : undefined),
        30_000,
        'a failed write to be logged',
      );
      expect(w.lag().pendingInstances).toBe(1);
      // In-memory Azurite comes back empty: the writer must also recreate the tables.
      own = await startAzurite({ blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table });
      await w.stop();
      expect((await rows(h.history, 'd-1')).map((r) => r.rowKey)).toEqual(['0000000000000000', '0000000000000001', 'sentinel']);
      expect(await rows(h.instances, 'd-1')).toHaveLength(1);
      expect(log.lines.some((l) => l.level === 'info' && l.message.includes('writes succeed again (d-1'))).toBe(true);
    } finally {
      await own.stop();
    }
  }, 90_000);
});
