import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubResources } from '../../src/host/durable/durable-runtime.js';
import { eventually, useTestAzurite, useTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();
const host = useTestHost(azurite, { appDir });

const api = (p: string) => `${host().url}/runtime/webhooks/durabletask/${p}`;

async function startOrchestration(name: string, input?: unknown, id?: string): Promise<string> {
  const res = await fetch(api(`orchestrators/${name}${id ? `/${id}` : ''}`), {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input: unknown;
}

async function status(id: string): Promise<Status> {
  const res = await fetch(api(`instances/${id}`));
  return (await res.json()) as Status;
}

function finished(id: string, timeoutMs = 10_000): Promise<Status> {
  return eventually(
    async () => {
      const s = await status(id);
      return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
    },
    timeoutMs,
    `instance ${id} to finish`,
  );
}

async function raise(id: string, name: string, data: unknown): Promise<number> {
  const res = await fetch(api(`instances/${id}/raiseEvent/${name}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  return res.status;
}

describe('HTTP starter with waitForCompletionOrCreateCheckStatusResponse', () => {
  it('answers 200 with the output when the orchestration completes within the wait', async () => {
    const res = await fetch(`${host().url}/api/start/chain?wait=10000`, { method: 'POST', body: JSON.stringify(['A', 'B']) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(['Hello, A!', 'Hello, B!']);
  });

  it('answers 202 with check-status links on the caller origin when the wait expires; terminate ends it', async () => {
    const res = await fetch(`${host().url}/api/start/waitEvent?wait=300`, { method: 'POST' });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as { id: string; statusQueryGetUri: string };
    expect(payload.statusQueryGetUri.startsWith(`${host().url}/runtime/webhooks/durabletask/instances/${payload.id}`)).toBe(true);
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect((await status(payload.id)).runtimeStatus).toBe('Running');

    const term = await fetch(api(`instances/${payload.id}/terminate?reason=${encodeURIComponent('gave up')}`), { method: 'POST' });
    expect(term.status).toBe(202);
    const done = await finished(payload.id);
    expect(done.runtimeStatus).toBe('Terminated');
    expect(done.output).toBe('gave up');
    expect(await raise(payload.id, 'go', 1)).toBe(410);
  });

  it('answers 500 with the status when the orchestration fails', async () => {
    const res = await fetch(`${host().url}/api/start/failing?wait=10000`, { method: 'POST' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as Status;
    expect(body.runtimeStatus).toBe('Failed');
    expect(String(body.output)).toContain('activity failed on purpose');
  });
});

describe('orchestrations', () => {
  it("completes when user code run before its episode (a preInvocation hook) reads the instance's own status", async () => {
    // The read waits for the episodes already due, and this one is the hook's own: without a
    // limit on that wait the two would wait on each other for good. The hook's read is answered
    // with the committed state (202, not yet running) and the episode goes on.
    const id = await startOrchestration('selfRead');
    const done = await finished(id, 30_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe('read');
    const reads = (globalThis as { __selfReads?: Array<{ id: string; status: number }> }).__selfReads ?? [];
    expect(reads.filter((r) => r.id === id).map((r) => r.status)).toContain(202);
  }, 60_000);

  it('runs an activity chain and exposes the custom status', async () => {
    const id = await startOrchestration('chain', ['x', 'y', 'z']);
    const done = await finished(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual(['Hello, x!', 'Hello, y!', 'Hello, z!']);
    expect(done.customStatus).toEqual({ step: 3, of: 3 });
    expect(done.input).toEqual(['x', 'y', 'z']);
  });

  it('fans out with Task.all', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const done = await finished(await startOrchestration('fanOut', names));
    expect(done.output).toEqual(names.map((n) => `Hello, ${n}!`));
  });

  it('delivers an event raised before the orchestrator waits for it', async () => {
    const id = await startOrchestration('workThenWait');
    expect(await raise(id, 'go', { early: true })).toBe(202);
    const done = await finished(id);
    expect(done.output).toEqual({ got: { early: true } });
  });

  it('Task.any: the event wins, the timer is cancelled and its message deleted', async () => {
    const id = await startOrchestration('race', { timeoutMs: 120_000 });
    await eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined));
    expect(await raise(id, 'go', 'now')).toBe(202);
    const done = await finished(id);
    expect(done.output).toEqual({ winner: 'event', value: 'now' });
    // A cancelled timer's queue message would otherwise wake the instance two minutes from now.
    const control = host().storage.queues.getQueueClient(hubResources(host().hubName).controlQueue);
    const props = await eventually(
      async () => {
        const p = await control.getProperties();
        return p.approximateMessagesCount === 0 ? p : undefined;
      },
      5_000,
      'the control queue to empty',
    );
    expect(props.approximateMessagesCount).toBe(0);
  });

  it('a status read right after an accepted raise shows the episode that took the event (one read, no polling)', async () => {
    const id = await startOrchestration('race', { timeoutMs: 120_000 });
    await eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined));
    expect(await raise(id, 'go', 'at once')).toBe(202);
    const read = await status(id);
    expect(read.runtimeStatus).toBe('Completed');
    expect(read.output).toEqual({ winner: 'event', value: 'at once' });
  });

  it('Task.any: the timer wins when no event comes', async () => {
    const done = await finished(await startOrchestration('race', { timeoutMs: 200 }));
    expect(done.output).toEqual({ winner: 'timer' });
  });

  it('marks the instance Failed when an activity fails and the orchestrator does not catch it', async () => {
    const done = await finished(await startOrchestration('failing'));
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('activity failed on purpose');
  });

  it('lets the orchestrator catch an activity failure', async () => {
    const done = await finished(await startOrchestration('caught'));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ caught: 'activity failed on purpose ' });
  });

  it('marks the instance Failed when the orchestrator itself throws', async () => {
    const done = await finished(await startOrchestration('throwsDirectly'));
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('orchestrator threw on purpose');
  });

  it('retries an activity with RetryOptions until it succeeds', async () => {
    const done = await finished(await startOrchestration('retrying', { key: 'ok', failTimes: 2, maxAttempts: 3 }));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ attempts: 3 });
  });

  it('fails after the last retry attempt', async () => {
    const done = await finished(await startOrchestration('retrying', { key: 'never', failTimes: 9, maxAttempts: 2 }));
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('flaky attempt 2 failed');
  });

  it('continues as new with the new input', async () => {
    const done = await finished(await startOrchestration('counter', 0));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe(3);
  });

  it('keeps outputs larger than a table property (offloaded to blobs) intact', async () => {
    const done = await finished(await startOrchestration('bigOutput', 100_000));
    expect(done.output).toBe('x'.repeat(100_000));
  });

  it('suspends and resumes: events wait while suspended', async () => {
    const id = await startOrchestration('waitEvent');
    await eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined));
    expect((await fetch(api(`instances/${id}/suspend?reason=hold`), { method: 'POST' })).status).toBe(202);
    await eventually(async () => ((await status(id)).runtimeStatus === 'Suspended' ? true : undefined));
    expect(await raise(id, 'go', 42)).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    expect((await status(id)).runtimeStatus).toBe('Suspended');
    expect((await fetch(api(`instances/${id}/resume?reason=go`), { method: 'POST' })).status).toBe(202);
    const done = await finished(id);
    expect(done.output).toEqual({ got: 42 });
  });
});

// On Azure an orchestrator that returns while a timer it did not cancel, or an activity, is still
// outstanding stays Running until they fire or complete: DTFx completes an orchestration only
// when it has no open tasks (TaskOrchestrationExecutor.ExecuteCore, durabletask #155,
// durable-extension #1377). Before, this host marked it Completed at once and cancelled the timers.
describe('an orchestrator that returns with work outstanding, as on Azure', () => {
  const gateFile = () => path.join(os.tmpdir(), `gate-${process.pid}-${Math.random().toString(36).slice(2)}`);

  async function returnedWithLoser(input: Record<string, unknown>): Promise<string> {
    const id = await startOrchestration('leavesLoser', input);
    await eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined));
    expect(await raise(id, 'go', 'now')).toBe(202);
    // The episode in which the orchestrator returned is committed: the instance is still Running.
    const held = await eventually(async () => {
      const s = await status(id);
      return s.customStatus === 'returned' ? s : undefined;
    });
    expect(held.runtimeStatus).toBe('Running');
    expect(held.output).toBeNull();
    expect((await fetch(api(`instances/${id}`))).status).toBe(202);
    return id;
  }

  it('an activity still running keeps it Running; it completes, with the output, when the activity does', async () => {
    const gate = gateFile();
    const id = await returnedWithLoser({ loser: 'activity', gate });
    writeFileSync(gate, '');
    const done = await finished(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ winner: 'event', value: 'now' });
  });

  it('a failure waits for the outstanding activity too, then the instance is Failed', async () => {
    const gate = gateFile();
    const id = await returnedWithLoser({ loser: 'activity', gate, fail: true });
    writeFileSync(gate, '');
    const done = await finished(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('failed with the loser outstanding');
  });

  it('a timer not cancelled keeps it Running until the timer fires', async () => {
    const id = await returnedWithLoser({ loser: 'timer', timeoutMs: 3_000 });
    const done = await finished(id);
    expect(done.output).toEqual({ winner: 'event', value: 'now' });
    const history = (await (await fetch(api(`instances/${id}?showHistory=true`))).json()) as {
      historyEvents: { EventType: string; FireAt?: string; Timestamp: string }[];
    };
    const types = history.historyEvents.map((e) => e.EventType);
    expect(types.indexOf('TimerFired')).toBeGreaterThan(types.indexOf('EventRaised'));
    expect(types.at(-1)).toBe('ExecutionCompleted');
    const fired = history.historyEvents.find((e) => e.EventType === 'TimerFired');
    expect(Date.parse(history.historyEvents.at(-1)?.Timestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(fired?.FireAt ?? ''));
  });
});

describe('management API status codes', () => {
  it('404 for an unknown instance on status, raiseEvent and terminate', async () => {
    expect((await fetch(api('instances/nope-123'))).status).toBe(404);
    expect(await raise('nope-123', 'go', 1)).toBe(404);
    expect((await fetch(api('instances/nope-123/terminate?reason=x'), { method: 'POST' })).status).toBe(404);
  });

  it('202 while running, 200 once finished', async () => {
    const id = await startOrchestration('waitEvent');
    expect((await fetch(api(`instances/${id}`))).status).toBe(202);
    await raise(id, 'go', 1);
    await finished(id);
    expect((await fetch(api(`instances/${id}`))).status).toBe(200);
  });

  it('400 for an unknown orchestrator and for a body that is not JSON', async () => {
    expect((await fetch(api('orchestrators/noSuchOrchestrator'), { method: 'POST' })).status).toBe(400);
    expect((await fetch(api('orchestrators/chain'), { method: 'POST', body: '{not json' })).status).toBe(400);
    const id = await startOrchestration('waitEvent');
    expect(
      (
        await fetch(api(`instances/${id}/raiseEvent/go`), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{oops',
        })
      ).status,
    ).toBe(400);
    await fetch(api(`instances/${id}/terminate?reason=cleanup`), { method: 'POST' });
  });

  it('409 when starting an id that is still running; a finished id can be started again', async () => {
    const id = `dup-${Date.now()}`;
    await startOrchestration('waitEvent', undefined, id);
    expect((await fetch(api(`orchestrators/waitEvent/${id}`), { method: 'POST' })).status).toBe(409);
    await raise(id, 'go', 'first');
    expect((await finished(id)).output).toEqual({ got: 'first' });
    await startOrchestration('waitEvent', undefined, id);
    await eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined));
    await raise(id, 'go', 'second');
    expect((await finished(id)).output).toEqual({ got: 'second' });
  });

  it('purges a finished instance and refuses to purge a running one', async () => {
    const running = await startOrchestration('waitEvent');
    expect((await fetch(api(`instances/${running}`), { method: 'DELETE' })).status).toBe(412);
    const id = await startOrchestration('chain', ['p']);
    await finished(id);
    const res = await fetch(api(`instances/${id}`), { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(api(`instances/${id}`))).status).toBe(404);
    await fetch(api(`instances/${running}/terminate?reason=cleanup`), { method: 'POST' });
  });

  it('lists instances by runtime status, following continuation tokens', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => startOrchestration('waitEvent')));
    await Promise.all(ids.map((id) => eventually(async () => ((await status(id)).runtimeStatus === 'Running' ? true : undefined))));
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const res: Response = await fetch(api('instances/?runtimeStatus=Running&top=2'), {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      expect(res.status).toBe(200);
      seen.push(...((await res.json()) as { instanceId: string }[]).map((s) => s.instanceId));
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token && pages < 50);
    expect(pages).toBeGreaterThan(2);
    for (const id of ids) expect(seen).toContain(id);
    expect((await fetch(api('instances/?runtimeStatus=Sleeping'))).status).toBe(400);
    await Promise.all(ids.map((id) => fetch(api(`instances/${id}/terminate?reason=cleanup`), { method: 'POST' })));
  });
});
