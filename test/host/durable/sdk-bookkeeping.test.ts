import { describe, expect, it } from 'vitest';
import { type Action, ActionType } from '../../../src/host/durable/actions.js';
import { EventType, event } from '../../../src/host/durable/history.js';
import { emptyBook, type InstanceRecord } from '../../../src/host/durable/instance-record.js';
import { admitEvent, applyEpisode, cancelAllTimers, emptyOutbound, isOpenTask } from '../../../src/host/durable/sdk-bookkeeping.js';

/** The pure task-id / retry / timer bookkeeping, without the SDK or storage. */
const now = new Date('2026-01-01T00:00:00.000Z');

function record(): InstanceRecord {
  return {
    instanceId: 'i',
    name: 'o',
    executionId: 'e',
    runtimeStatus: 'Running',
    input: null,
    output: null,
    customStatus: null,
    createdTime: now.toISOString(),
    lastUpdatedTime: now.toISOString(),
    historyLength: 0,
    book: emptyBook(),
  };
}

const activity = (name: string): Action => ({ actionType: ActionType.CallActivity, functionName: name, input: '"x"' });
const timer = (ms: number, isCanceled = false): Action => ({
  actionType: ActionType.CreateTimer,
  fireAt: new Date(now.getTime() + ms).toISOString(),
  isCanceled,
});
const waitEvent: Action = { actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' };

describe('task ids follow the SDK numbering', () => {
  it('numbers id-taking actions by ordinal, skips event waits, and never renumbers an action seen before', () => {
    const r = record();
    const out = emptyOutbound();
    const { decided: first } = applyEpisode(r, { isDone: false, actions: [activity('a'), waitEvent, timer(1000)] }, now, out);
    expect(first.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TaskScheduled, 0],
      [EventType.TimerCreated, 1],
    ]);
    expect(out.activities).toEqual([{ instanceId: 'i', executionId: 'e', taskId: 0, name: 'a', input: 'x' }]);
    expect(out.timers.map((t) => t.timerId)).toEqual([1]);

    // Replay returns the same two plus a new one: only the new one is scheduled, with the next id.
    const again = emptyOutbound();
    const { decided: second } = applyEpisode(
      r,
      { isDone: false, actions: [activity('a'), waitEvent, timer(1000), activity('b')] },
      now,
      again,
    );
    expect(second.map((e) => e.EventId)).toEqual([2]);
    expect(again.activities.map((a) => a.taskId)).toEqual([2]);
  });

  it('a timer the episode cancels is dropped from the books and reported, once', () => {
    const r = record();
    applyEpisode(r, { isDone: false, actions: [timer(60_000), waitEvent] }, now, emptyOutbound());
    const out = emptyOutbound();
    applyEpisode(r, { isDone: true, output: '"e"', actions: [timer(60_000, true), waitEvent] }, now, out);
    expect(out.cancelledTimers).toEqual([0]);
    expect(r.book.timers).toEqual({});
    expect(r.runtimeStatus).toBe('Completed');
  });

  it('a finished episode with nothing open sets the outcome; an error fails the instance', () => {
    const r = record();
    const { decided, held } = applyEpisode(r, { isDone: true, output: '42', actions: [waitEvent] }, now, emptyOutbound());
    expect(held).toBe(false);
    expect(decided.map((e) => e.EventType)).toEqual([EventType.ExecutionCompleted]);
    expect(r.output).toBe('42');
    const f = record();
    applyEpisode(f, { isDone: true, actions: [], error: 'boom' }, now, emptyOutbound());
    expect(f.runtimeStatus).toBe('Failed');
    expect(f.output).toBe('"boom"');
  });

  // DTFx completes an orchestration only when it has no open tasks (TaskOrchestrationExecutor,
  // HasOpenTasks): a returned orchestrator with a live timer or activity stays Running.
  it('a return, a throw or a continue-as-new with a timer not cancelled is held: Running, no output, nothing decided', () => {
    for (const finish of [
      { isDone: true, output: '"e"' },
      { isDone: true, error: 'boom' },
      { isDone: true, actions: [{ actionType: ActionType.ContinueAsNew, input: 1 }] },
    ]) {
      const r = record();
      applyEpisode(r, { isDone: false, actions: [timer(60_000), waitEvent] }, now, emptyOutbound());
      const out = emptyOutbound();
      const { decided, held } = applyEpisode(r, { actions: [timer(60_000), waitEvent], ...finish }, now, out);
      expect(held).toBe(true);
      expect(decided).toEqual([]);
      expect(r.runtimeStatus).toBe('Running');
      expect(r.output).toBeNull();
      expect(out.cancelledTimers).toEqual([]);
      expect(r.book.timers).toEqual({ 0: new Date(now.getTime() + 60_000).toISOString() });
    }
  });

  it('an activity scheduled and not answered holds the outcome until its result is in the history', () => {
    const r = record();
    const { decided: scheduled } = applyEpisode(r, { isDone: false, actions: [activity('a')] }, now, emptyOutbound());
    const returned = { isDone: true, output: '1', actions: [activity('a')] };
    expect(applyEpisode(r, returned, now, emptyOutbound(), scheduled).held).toBe(true);
    const answered = [...scheduled, event(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' })];
    expect(applyEpisode(r, returned, now, emptyOutbound(), answered).held).toBe(false);
    expect(r.runtimeStatus).toBe('Completed');
  });

  it("a returning episode's new actions are scheduled and keep it open, as the extension replays them all", () => {
    const r = record();
    const out = emptyOutbound();
    const { decided, held } = applyEpisode(r, { isDone: true, output: '42', actions: [activity('late')] }, now, out);
    expect(out.activities.map((a) => a.name)).toEqual(['late']);
    expect(decided.map((e) => e.EventType)).toEqual([EventType.TaskScheduled]);
    expect(held).toBe(true);
    expect(r.runtimeStatus).toBe('Running');
  });

  it('an unsupported action fails the instance with a reason naming it', () => {
    const r = record();
    applyEpisode(
      r,
      { isDone: false, actions: [{ actionType: ActionType.CallSubOrchestrator, functionName: 'child' }] },
      now,
      emptyOutbound(),
    );
    expect(r.runtimeStatus).toBe('Failed');
    expect(r.output).toContain('CallSubOrchestrator');
  });
});

describe('retries', () => {
  const retry: Action = {
    actionType: ActionType.CallActivityWithRetry,
    functionName: 'flaky',
    input: '"k"',
    retryOptions: { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 2, backoffCoefficient: 2 },
  };

  it('a failure becomes a retry timer with the next id; its firing schedules the next attempt with the id after that', () => {
    const r = record();
    applyEpisode(r, { isDone: false, actions: [retry] }, now, emptyOutbound());
    const failed = emptyOutbound();
    const onFail = admitEvent(r, event(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'no' }), now, failed);
    expect(onFail.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TaskFailed, -1],
      [EventType.TimerCreated, 1],
    ]);
    expect(failed.timers).toEqual([{ instanceId: 'i', executionId: 'e', timerId: 1, fireAt: '2026-01-01T00:00:00.100Z' }]);

    const fired = emptyOutbound();
    const onFire = admitEvent(r, event(EventType.TimerFired, { TimerId: 1 }), now, fired);
    expect(onFire.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TimerFired, -1],
      [EventType.TaskScheduled, 2],
    ]);
    expect(fired.activities).toEqual([{ instanceId: 'i', executionId: 'e', taskId: 2, name: 'flaky', input: 'k' }]);
    expect(isOpenTask(r, onFire, 2)).toBe(true);
    expect(r.book.retries[0]?.attempt).toBe(2);

    // The last attempt fails too: its timer fires, and no further attempt is scheduled.
    admitEvent(r, event(EventType.TaskFailed, { TaskScheduledId: 2 }), now, emptyOutbound());
    const last = emptyOutbound();
    admitEvent(r, event(EventType.TimerFired, { TimerId: 3 }), now, last);
    expect(last.activities).toEqual([]);
    expect(r.book.retries).toEqual({});
  });

  it('cancelAllTimers reports every running timer and clears them', () => {
    const r = record();
    applyEpisode(r, { isDone: false, actions: [timer(10), timer(20)] }, now, emptyOutbound());
    const out = emptyOutbound();
    cancelAllTimers(r, out);
    expect(out.cancelledTimers).toEqual([0, 1]);
    expect(r.book.timers).toEqual({});
  });
});
