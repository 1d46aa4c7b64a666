import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { eventually, startTestAzurite, startTestHost } from '../support/stack.js';

/** Group commit and purge, through the management API of an in-process host over real Azurite. */
const appDir = path.join(__dirname, '../fixtures/durable-app');
let azurite: RunningAzurite;
let dataDir: string;
let host: RunningHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-group-'));
  host = await startTestHost(azurite, { appDir, durableDataDir: dataDir });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const api = (p: string) => `${host.url}/runtime/webhooks/durabletask/${p}`;

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string }[];
}

async function status(id: string, history = false): Promise<{ code: number; body: Status }> {
  const res = await fetch(api(`instances/${id}${history ? '?showHistory=true' : ''}`));
  const text = await res.text();
  return { code: res.status, body: (text ? JSON.parse(text) : {}) as Status };
}

function completed(id: string, history = false): Promise<Status> {
  return eventually(
    async () => {
      const s = await status(id, history);
      return s.body.runtimeStatus === 'Completed' ? s.body : undefined;
    },
    30_000,
    `${id} to complete`,
  );
}

describe('group commit', () => {
  it('500 concurrent starts and raises share log writes, and every history is exactly what the SDK expects', async () => {
    const before = host.durableLogStats();
    const ids = Array.from({ length: 500 }, (_, i) => `group-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        const started = await fetch(api(`orchestrators/waitEvent/${id}`), { method: 'POST' });
        expect(started.status).toBe(202);
        const raised = await fetch(api(`instances/${id}/raiseEvent/go`), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(id),
        });
        expect(raised.status).toBe(202);
      }),
    );
    for (const id of ids) {
      const s = await completed(id, true);
      expect(s.output).toEqual({ got: id });
      const types = (s.historyEvents ?? []).map((e) => e.EventType);
      // Whether the event joined the first episode or not, the status shows it folded (no episode markers).
      expect(types).toEqual(['ExecutionStarted', 'EventRaised', 'ExecutionCompleted']);
    }
    const after = host.durableLogStats();
    const records = after.records - before.records;
    const writes = after.writes - before.writes;
    // 500 starts + 500 raises + at least 500 episodes.
    expect(records).toBeGreaterThanOrEqual(1_500);
    expect(writes).toBeLessThan(records / 3);
  }, 120_000);
});

describe('purge', () => {
  it('by filter: 200 with the count of finished instances purged (running ones stay), 404 when none match; purged stays purged after a restart and leaves the view', async () => {
    const from = new Date().toISOString();
    const ids = Array.from({ length: 5 }, (_, i) => `purge-${i}`);
    for (const id of ids) expect((await fetch(api(`orchestrators/chain/${id}`), { method: 'POST', body: '["p"]' })).status).toBe(202);
    expect((await fetch(api('orchestrators/waitEvent/purge-running'), { method: 'POST' })).status).toBe(202);
    for (const id of ids) await completed(id);

    const none = await fetch(
      api(`instances/?createdTimeTo=${encodeURIComponent(new Date(Date.parse(from) - 60_000).toISOString())}&runtimeStatus=Completed`),
      { method: 'DELETE' },
    );
    expect(none.status).toBe(404);
    const res = await fetch(api(`instances/?createdTimeFrom=${encodeURIComponent(from)}&runtimeStatus=Completed,Running`), {
      method: 'DELETE',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 5 });
    for (const id of ids) expect((await status(id)).code).toBe(404);
    expect((await status('purge-running')).code).toBe(202);
    const again = await fetch(api(`instances/?createdTimeFrom=${encodeURIComponent(from)}&runtimeStatus=Completed`), { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await fetch(api('instances/?runtimeStatus=Sleeping'), { method: 'DELETE' })).status).toBe(400);

    const table = TableClient.fromConnectionString(azurite.connectionString, `${host.hubName}Instances`, { allowInsecureConnection: true });
    // The view lags the log by design (more so after the 500 above): wait until it holds every commit, then look.
    await host.flushDurableView();
    const left: string[] = [];
    for await (const row of table.listEntities()) left.push(String(row.partitionKey));
    for (const id of ids) expect(left).not.toContain(id);
    expect(left).toContain('purge-running');

    await host.stop();
    host = await startTestHost(azurite, { appDir, durableDataDir: dataDir });
    for (const id of ids) expect((await status(id)).code).toBe(404);
    expect((await status('purge-running')).body.runtimeStatus).toBe('Running');
    await fetch(api('instances/purge-running/terminate?reason=cleanup'), { method: 'POST' });
  }, 60_000);
});
