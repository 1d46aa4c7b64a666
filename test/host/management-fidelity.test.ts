// The Durable management API's details as the extension answers them (HttpApiHandler.cs,
// DurableClient.cs in Azure/azure-functions-durable-extension): one test per row of the
// fidelity table in docs/local-host.md.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, useTestAzurite, useTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();
const host = useTestHost(azurite, { appDir });

const api = (p: string) => `${host().url}/runtime/webhooks/durabletask/${p}`;
const JSON_BODY = { 'content-type': 'application/json' };

interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

async function start(name: string, input?: unknown, id?: string): Promise<string> {
  const res = await fetch(api(`orchestrators/${name}${id ? `/${id}` : ''}`), {
    method: 'POST',
    headers: JSON_BODY,
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function status(id: string, query = ''): Promise<Status> {
  return (await (await fetch(api(`instances/${id}${query}`))).json()) as Status;
}

function finished(id: string): Promise<Status> {
  return eventually(async () => {
    const s = await status(id);
    return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
  });
}

const terminate = (id: string) => fetch(api(`instances/${id}/terminate?reason=cleanup`), { method: 'POST' });

describe('getStatus', () => {
  it('a running instance: 202 with Location (the request URL) and Retry-After: 5; a finished one: 200 without them', async () => {
    const id = await start('waitEvent');
    const url = api(`instances/${id}?showInput=false`);
    const running = await fetch(url);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toBe(url);
    expect(running.headers.get('retry-after')).toBe('5');
    await terminate(id);
    await finished(id);
    const done = await fetch(url);
    expect(done.status).toBe(200);
    expect(done.headers.get('location')).toBeNull();
    expect(done.headers.get('retry-after')).toBeNull();
  });

  it('times in whole seconds, truncated, as ToString("s") + "Z" writes them', async () => {
    const before = Date.now();
    const s = await finished(await start('chain', ['t']));
    for (const t of [s.createdTime, s.lastUpdatedTime]) {
      expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // Truncated, never rounded up: no later than the clock when it was read.
      expect(Date.parse(t)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(Date.parse(t)).toBeLessThanOrEqual(Date.now());
    }
  });
});

describe('showHistory', () => {
  it('folds TaskScheduled into its completion and names events as the extension does', async () => {
    const id = await start('chain', ['x']);
    await finished(id);
    const plain = (await status(id, '?showHistory=true')).historyEvents ?? [];
    expect(plain.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'ExecutionCompleted']);
    const [started, task, completed] = plain;
    expect(started).toMatchObject({ FunctionName: 'chain', Input: '["x"]' });
    expect(started).not.toHaveProperty('Name');
    expect(task).toMatchObject({ FunctionName: 'hello' });
    expect(Date.parse(String(task?.ScheduledTime))).toBeLessThanOrEqual(Date.parse(String(task?.Timestamp)));
    for (const e of plain) {
      expect(e).not.toHaveProperty('EventId');
      expect(e).not.toHaveProperty('IsPlayed');
    }
    expect(task).not.toHaveProperty('TaskScheduledId');
    expect(task).not.toHaveProperty('Result');
    expect(completed).toMatchObject({ OrchestrationStatus: 'Completed' });
    expect(completed).not.toHaveProperty('Result');

    const withOutput = (await status(id, '?showHistory=true&showHistoryOutput=true&showInput=false')).historyEvents ?? [];
    expect(withOutput[1]).toMatchObject({ FunctionName: 'hello', Result: 'Hello, x!' });
    expect(withOutput[2]).toMatchObject({ OrchestrationStatus: 'Completed', Result: ['Hello, x!'] });
    expect(withOutput[0]).not.toHaveProperty('Input');
  });

  it('an activity not answered yet stays a TaskScheduled; a failure is ExecutionCompleted with OrchestrationStatus Failed', async () => {
    const gate = path.join(os.tmpdir(), `gate-${process.pid}-${Date.now()}`);
    const open = await start('leavesLoser', { loser: 'activity', gate });
    const waiting = await eventually(async () => {
      const h = (await status(open, '?showHistory=true')).historyEvents ?? [];
      return h.some((e) => e.EventType === 'TaskScheduled') ? h : undefined;
    });
    expect(waiting.find((e) => e.EventType === 'TaskScheduled')).toMatchObject({ Name: 'gate' });
    await terminate(open);
    writeFileSync(gate, '');
    const failed = await start('failing');
    await finished(failed);
    const h = (await status(failed, '?showHistory=true&showHistoryOutput=true')).historyEvents ?? [];
    expect(h.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskFailed', 'ExecutionCompleted']);
    expect(h[1]).toMatchObject({ FunctionName: 'boom' });
    expect(h[2]).toMatchObject({ OrchestrationStatus: 'Failed' });
    expect(String(h[2]?.Result)).toContain('activity failed on purpose');
  });
});

describe('raiseEvent', () => {
  it('a body that is not application/json is a 400; a missing or finished instance answers 404 / 410 first', async () => {
    const id = await start('waitEvent');
    const raise = (target: string, headers: Record<string, string>) =>
      fetch(api(`instances/${target}/raiseEvent/go`), { method: 'POST', headers, body: '"v"' });
    const text = await raise(id, { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(JSON.stringify(await text.json())).toContain('application/json');
    expect((await raise(id, {})).status).toBe(400);
    expect((await raise('no-such-instance', { 'content-type': 'text/plain' })).status).toBe(404);
    expect((await raise(id, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect((await finished(id)).output).toEqual({ got: 'v' });
    expect((await raise(id, { 'content-type': 'text/plain' })).status).toBe(410);
  });
});

describe('list', () => {
  it('instanceIdPrefix keeps only the ids that start with it', async () => {
    const prefix = `pfx-${Date.now()}-`;
    const ids = [`${prefix}a`, `${prefix}b`];
    for (const id of ids) await start('chain', ['p'], id);
    await start('chain', ['p'], `other-${prefix}c`);
    const res = await fetch(api(`instances/?instanceIdPrefix=${encodeURIComponent(prefix)}`));
    expect(res.status).toBe(200);
    const listed = ((await res.json()) as Status[]).map((s) => s.instanceId).sort();
    expect(listed).toEqual(ids);
  });
});

describe('restart and rewind', () => {
  it('restart starts the same orchestrator with the same input under a new id (202, check-status payload)', async () => {
    const id = await start('chain', ['r']);
    await finished(id);
    const res = await fetch(api(`instances/${id}/restart`), { method: 'POST' });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as { id: string; statusQueryGetUri: string };
    expect(payload.id).not.toBe(id);
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    const again = await finished(payload.id);
    expect(again).toMatchObject({ name: 'chain', input: ['r'], output: ['Hello, r!'] });
  });

  it('restartWithNewInstanceId=false restarts under the same id; an unknown id is a 400', async () => {
    const id = `restart-same-${Date.now()}`;
    await start('chain', ['s'], id);
    await finished(id);
    const res = await fetch(api(`instances/${id}/restart?restartWithNewInstanceId=false`), { method: 'POST' });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { id: string }).id).toBe(id);
    // The 202 comes once the new execution's start is committed: what finishes now is the new one.
    const second = await finished(id);
    expect(second.output).toEqual(['Hello, s!']);
    expect((await fetch(api('instances/never-was/restart'), { method: 'POST' })).status).toBe(400);
  });

  it('rewind is refused with 501 and a message saying so (the SDK reads 501 as "not supported by the storage provider")', async () => {
    const id = await start('failing');
    await finished(id);
    const res = await fetch(api(`instances/${id}/rewind?reason=again`), { method: 'POST' });
    expect(res.status).toBe(501);
    expect(JSON.stringify(await res.json())).toMatch(/[Rr]ewind is not supported by the local host/);
    expect((await fetch(api('instances/never-was/rewind?reason=x'), { method: 'POST' })).status).toBe(404);
  });
});
