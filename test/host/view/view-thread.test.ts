import { odata, type TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../../src/host/durable/history.js';
import { escapePartitionKey } from '../../../src/host/durable/view/partition-key.js';
import { VIEW_WORKER_LIMITS, ViewThread, type ViewThreadOptions } from '../../../src/host/durable/view/view-thread.js';
import type { RunningAzurite } from '../../../src/host/storage/azurite.js';
import { createStorageClients, type StorageClients } from '../../../src/host/storage/connection.js';
import { captureLog, startTestAzurite } from '../../support/stack.js';
import { at, ev, snapshot } from '../../support/view-fixtures.js';

/** The view writer on its worker thread (the built `view-worker.js`), driven as the engine drives it, over real Azurite. */
let azurite: RunningAzurite;
let storage: StorageClients;
const threads: ViewThread[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = createStorageClients(azurite.connectionString);
});
afterAll(async () => {
  for (const t of threads) await t.stop();
  await azurite?.stop();
});

function thread(hubName: string, extra: Partial<ViewThreadOptions> = {}): ViewThread {
  const t = new ViewThread({
    connection: storage.connection,
    hubName,
    instancesTable: `${hubName}Instances`,
    historyTable: `${hubName}History`,
    largeMessagesContainer: `${hubName.toLowerCase()}-largemessages`,
    log: captureLog().log,
    delayMs: 200,
    ...extra,
  });
  threads.push(t);
  return t;
}

async function rows(table: TableClient, instanceId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const e of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${escapePartitionKey(instanceId)}` } }))
    out.push(e);
  return out;
}

async function tables(hubName: string): Promise<{ instances: TableClient; history: TableClient }> {
  const t = { instances: storage.table(`${hubName}Instances`), history: storage.table(`${hubName}History`) };
  await Promise.all([t.instances.createTable(), t.history.createTable()]);
  return t;
}

describe('the view on its worker thread', () => {
  it('writes what the engine hands over, as it was when handed over, in order, and flush() waits for it', async () => {
    const h = await tables('ThreadHub');
    const t = thread('ThreadHub');
    t.start();
    const started = ev(EventType.ExecutionStarted, { Name: 'hello', Input: '"in"' }, 1);
    t.update(snapshot('t-1'), [ev(EventType.OrchestratorStarted, {}, 1), started], 0);
    // The engine may change its objects after the call; the view shows what was handed over.
    started.Name = 'changed';
    t.update(
      snapshot('t-1', { runtimeStatus: 'Completed', output: '"done"', lastUpdatedTime: at(2), completedTime: at(2) }),
      [ev(EventType.ExecutionCompleted, { Result: '"done"' }, 2)],
      2,
    );
    await t.flush();
    const history = await rows(h.history, 't-1');
    expect(history.map((r) => [r.rowKey, r.EventType])).toEqual([
      ['0000000000000000', 'OrchestratorStarted'],
      ['0000000000000001', 'ExecutionStarted'],
      ['0000000000000002', 'ExecutionCompleted'],
      ['sentinel', undefined],
    ]);
    expect(history[1]).toMatchObject({ Name: 'hello' });
    const [instance] = await rows(h.instances, 't-1');
    expect(instance).toMatchObject({ RuntimeStatus: 'Completed', Output: '"done"', TaskHubName: 'ThreadHub' });

    t.remove('t-1');
    await t.flush();
    expect(await rows(h.history, 't-1')).toHaveLength(0);
    expect(await rows(h.instances, 't-1')).toHaveLength(0);
  });

  it('runs the worker with its young generation limited (VIEW_WORKER_LIMITS)', async () => {
    const h = await tables('LimitsHub');
    const t = thread('LimitsHub', { delayMs: 0 });
    t.start();
    t.update(snapshot('l-1'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await t.flush();
    expect(await rows(h.instances, 'l-1')).toHaveLength(1);
    // Read from the running thread's isolate: it reports V8's own old-space limit beside ours.
    expect(t.resourceLimits).toMatchObject(VIEW_WORKER_LIMITS);
    expect(t.resourceLimits?.maxOldGenerationSizeMb).toBeGreaterThan(0);
  }, 60_000);

  it('reports its lag: what waits before start() and before the delay, none once flushed', async () => {
    await tables('LagHub');
    const t = thread('LagHub', { delayMs: 60_000 });
    for (let i = 0; i < 3; i++) t.update(snapshot(`l-${i}`), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    t.update(snapshot('l-0', { runtimeStatus: 'Completed' }), [], 1);
    expect((await t.lag()).pendingInstances).toBe(3);
    await t.flush();
    expect(await t.lag()).toEqual({ pendingInstances: 0, oldestMs: 0 });
  });

  it("brings the worker's log lines to the host's log, and writes through a failure (missing tables are created)", async () => {
    const log = captureLog();
    const t = thread('MissingThreadHub', { log: log.log });
    t.update(snapshot('m-1'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await t.flush();
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('view: writing m-1 failed'))).toBe(true);
    expect(await rows(storage.table('MissingThreadHubHistory'), 'm-1')).toHaveLength(2);
  });

  it('stop() writes what is still queued, then ends the thread; later changes are ignored', async () => {
    const h = await tables('StopHub');
    const t = thread('StopHub', { delayMs: 60_000 });
    t.start();
    t.update(snapshot('s-1'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await t.stop();
    expect(await rows(h.instances, 's-1')).toHaveLength(1);
    t.update(snapshot('s-2'), [ev(EventType.ExecutionStarted, { Name: 'hello' }, 1)], 0);
    await t.flush();
    expect(await t.lag()).toEqual({ pendingInstances: 0, oldestMs: 0 });
    expect(await rows(h.instances, 's-2')).toHaveLength(0);
  });
});
