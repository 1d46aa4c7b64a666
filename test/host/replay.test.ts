import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAppConfig } from '../../src/host/app-config.js';
import { type LoadedApp, loadApp } from '../../src/host/app-loader.js';
import { ActionType, idTakingActions } from '../../src/host/durable/actions.js';
import { EventType, event, type HistoryEvent } from '../../src/host/durable/history.js';
import { runEpisode } from '../../src/host/durable/orchestration-runner.js';
import { Invoker } from '../../src/host/invoker.js';

/**
 * Golden-history replay: histories as the engine writes them, replayed through the SDK's own
 * orchestrator listener, with assertions on the actions it emits. No storage involved.
 */
let app: LoadedApp;
let invoker: Invoker;

beforeAll(async () => {
  app = await loadApp(readAppConfig(path.join(__dirname, '../fixtures/durable-app')), () => undefined);
  invoker = new Invoker(app.registry, app.library, () => undefined);
});

const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const played = (events: HistoryEvent[]) => events.map((e) => ({ ...e, IsPlayed: true }));

function replay(name: string, input: unknown, history: HistoryEvent[]) {
  const fn = app.registry.find(name);
  if (!fn) throw new Error(`no ${name}`);
  return runEpisode(invoker, fn, 'golden', JSON.stringify(input), history);
}

const started = (name: string, input: unknown) => [
  event(EventType.OrchestratorStarted, {}, t0),
  event(EventType.ExecutionStarted, { Name: name, Input: JSON.stringify(input) }, t0),
];

describe('golden histories', () => {
  it('chain: the first episode schedules the first activity and sets the custom status', async () => {
    const r = await replay('chain', ['a', 'b'], started('chain', ['a', 'b']));
    expect(r.isDone).toBe(false);
    expect(r.actions).toEqual([expect.objectContaining({ actionType: ActionType.CallActivity, functionName: 'hello', input: '"a"' })]);
    expect(JSON.parse(r.customStatus ?? 'null')).toEqual({ step: 1, of: 2 });
  });

  it('chain: a completed task resumes the code with its result; actions are re-emitted prefix-stable', async () => {
    const history = [
      ...played([
        ...started('chain', ['a', 'b']),
        event(EventType.TaskScheduled, { EventId: 0, Name: 'hello' }, t0),
        event(EventType.OrchestratorCompleted, {}, t0),
      ]),
      event(EventType.OrchestratorStarted, {}, at(10)),
      event(EventType.TaskCompleted, { TaskScheduledId: 0, Result: JSON.stringify('Hello, a!') }, at(10)),
    ];
    const r = await replay('chain', ['a', 'b'], history);
    expect(r.actions.map((a) => a.input)).toEqual(['"a"', '"b"']);
    expect(r.isDone).toBe(false);
  });

  it('race: Task.any opens to an event wait and a timer, and only the timer takes a task id', async () => {
    const r = await replay('race', { timeoutMs: 1000 }, started('race', { timeoutMs: 1000 }));
    expect(r.actions.map((a) => a.actionType)).toEqual([ActionType.WaitForExternalEvent, ActionType.CreateTimer]);
    expect(idTakingActions(r.actions)).toHaveLength(1);
    expect(r.actions[1]?.fireAt).toBe(at(1000).toISOString());
  });

  it('race: when the event wins, the orchestration completes and the timer action turns cancelled', async () => {
    const history = [
      ...played([
        ...started('race', { timeoutMs: 1000 }),
        event(EventType.TimerCreated, { EventId: 0, FireAt: at(1000).toISOString() }, t0),
        event(EventType.OrchestratorCompleted, {}, t0),
      ]),
      event(EventType.OrchestratorStarted, {}, at(5)),
      event(EventType.EventRaised, { Name: 'go', Input: JSON.stringify('yes') }, at(5)),
    ];
    const r = await replay('race', { timeoutMs: 1000 }, history);
    expect(r.isDone).toBe(true);
    expect(JSON.parse(r.output ?? 'null')).toEqual({ winner: 'event', value: 'yes' });
    expect(r.actions.find((a) => a.actionType === ActionType.CreateTimer)?.isCanceled).toBe(true);
  });

  it('race: when the timer fires first, the event no longer matters', async () => {
    const history = [
      ...played([...started('race', { timeoutMs: 1000 }), event(EventType.OrchestratorCompleted, {}, t0)]),
      event(EventType.OrchestratorStarted, {}, at(1000)),
      event(EventType.TimerFired, { TimerId: 0, FireAt: at(1000).toISOString() }, at(1000)),
    ];
    const r = await replay('race', { timeoutMs: 1000 }, history);
    expect(JSON.parse(r.output ?? 'null')).toEqual({ winner: 'timer' });
  });

  it('retry: the SDK numbers the retry timer and the next attempt after the failed task (ids 1 and 2)', async () => {
    const input = { key: 'g', failTimes: 1, maxAttempts: 3 };
    const history = [
      ...played(started('retrying', input)),
      ...played([
        event(EventType.OrchestratorStarted, {}, at(10)),
        event(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'flaky attempt 1 failed', Details: '' }, at(10)),
      ]),
      ...played([
        event(EventType.OrchestratorStarted, {}, at(60)),
        event(EventType.TimerFired, { TimerId: 1, FireAt: at(60).toISOString() }, at(60)),
      ]),
      event(EventType.OrchestratorStarted, {}, at(70)),
      event(EventType.TaskCompleted, { TaskScheduledId: 2, Result: JSON.stringify({ attempts: 2 }) }, at(70)),
    ];
    const r = await replay('retrying', input, history);
    expect(r.isDone).toBe(true);
    expect(JSON.parse(r.output ?? 'null')).toEqual({ attempts: 2 });
    expect(r.actions).toHaveLength(1);
    expect(r.actions[0]?.actionType).toBe(ActionType.CallActivityWithRetry);
  });

  it('an event raised before the wait is buffered by name and delivered when the wait begins', async () => {
    const history = [
      ...played([...started('workThenWait', null), event(EventType.OrchestratorCompleted, {}, t0)]),
      event(EventType.OrchestratorStarted, {}, at(1)),
      event(EventType.EventRaised, { Name: 'go', Input: JSON.stringify(7) }, at(1)),
      event(EventType.TaskCompleted, { TaskScheduledId: 0, Result: JSON.stringify('Hello, first!') }, at(1)),
    ];
    const r = await replay('workThenWait', null, history);
    expect(JSON.parse(r.output ?? 'null')).toEqual({ got: 7 });
  });

  it('an orchestrator exception becomes an error with the SDK state ($OutOfProcData$ parsed)', async () => {
    const r = await replay('throwsDirectly', null, started('throwsDirectly', null));
    expect(r.isDone).toBe(true);
    expect(r.error).toContain('orchestrator threw on purpose');
  });

  it('continueAsNew reports the new input and is done', async () => {
    const r = await replay('counter', 1, started('counter', 1));
    expect(r.isDone).toBe(true);
    expect(r.actions.find((a) => a.actionType === ActionType.ContinueAsNew)?.input).toBe(2);
  });
});
