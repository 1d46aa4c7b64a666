// Golden-history replay tests (docs/architecture.md#testing): fixtures are history arrays, assertions are on the
// actions and state the orchestrator emits, episode by episode.
import { describe, expect, it } from 'vitest';
import { gatewayOrchestrator } from '../../src/functions/gatewayOrchestrator.js';
import type { GatewayRequest, ReplyEnvelope } from '../../src/gateway/contract.js';
import { ActionType, EventType, event, type HistoryEvent, type OrchestratorState, played, runEpisode } from './orchestrator-harness.js';

const t0 = new Date('2025-01-01T00:00:00.000Z');
const t1 = new Date('2025-01-01T00:00:01.000Z');
const t2 = new Date('2025-01-01T00:00:05.000Z');
const deadline = new Date(t1.getTime() + 30_000);

const request: GatewayRequest = {
  id: 'req-1',
  operation: 'echo',
  method: 'POST',
  contentType: 'application/json',
  body: Buffer.from('{"a":1}').toString('base64'),
  bodyHash: 'h',
  query: {},
  replyTo: 'replies',
  waitMode: 'sync',
  deadlineMs: 30_000,
  createdAt: t0.toISOString(),
};

const reply: ReplyEnvelope = {
  replyId: 'blob:replies/req-1.json@"0x1"',
  status: 200,
  contentType: 'application/json',
  body: Buffer.from('{"ok":true}').toString('base64'),
  receivedAt: t2.toISOString(),
};

const episode1: HistoryEvent[] = [
  event(EventType.OrchestratorStarted, t0),
  event(EventType.ExecutionStarted, t0, { Name: 'gatewayOrchestrator', Input: JSON.stringify(request) }),
];
const activityDone: HistoryEvent[] = [
  event(EventType.TaskScheduled, t0, { EventId: 0, Name: 'dispatchRequest' }),
  event(EventType.OrchestratorCompleted, t0),
  event(EventType.OrchestratorStarted, t1),
  event(EventType.TaskCompleted, t1, { TaskScheduledId: 0, Result: 'null' }),
];
const episode2 = [...played(episode1), ...activityDone];
const waiting = [
  ...played(episode2),
  event(EventType.TimerCreated, t1, { EventId: 1, FireAt: deadline.toISOString() }),
  event(EventType.OrchestratorCompleted, t1),
  event(EventType.OrchestratorStarted, t2),
];
const replyRaised = (payload: unknown) => event(EventType.EventRaised, t2, { Name: 'reply', Input: JSON.stringify(payload) });

const whenAnyOf = (actions: Array<Record<string, unknown>>) => actions.find((a) => a.actionType === ActionType.WhenAny);

describe('gatewayOrchestrator', () => {
  it('first episode: Dispatching, schedules dispatchRequest with the request', async () => {
    const state = await runEpisode(gatewayOrchestrator, episode1, request);
    expect(state.isDone).toBe(false);
    expect(state.actions).toEqual([[{ actionType: ActionType.CallActivity, functionName: 'dispatchRequest', input: request }]]);
    expect(state.customStatus).toEqual({ stage: 'Dispatching', since: t0.toISOString() });
  });

  it('after the activity: AwaitingReply, WhenAny(reply event, timer at the deadline)', async () => {
    const state = await runEpisode(gatewayOrchestrator, episode2, request);
    expect(state.isDone).toBe(false);
    expect(whenAnyOf(state.actions[0] ?? [])).toEqual({
      actionType: ActionType.WhenAny,
      compoundActions: [
        { actionType: ActionType.WaitForExternalEvent, externalEventName: 'reply', reason: 'ExternalEvent' },
        { actionType: ActionType.CreateTimer, fireAt: deadline.toISOString(), isCanceled: false },
      ],
    });
    expect(state.customStatus).toEqual({ stage: 'AwaitingReply', since: t1.toISOString(), deadline: deadline.toISOString() });
  });

  it('reply wins: output replied, and the timer is cancelled', async () => {
    const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(reply)], request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply });
    const timer = whenAnyOf(state.actions[0] ?? [])?.compoundActions as Array<Record<string, unknown>>;
    expect(timer[1]).toMatchObject({ actionType: ActionType.CreateTimer, isCanceled: true });
  });

  it('timer wins: output timedOut', async () => {
    const fired = event(EventType.TimerFired, deadline, { TimerId: 1, FireAt: deadline.toISOString() });
    const state = await runEpisode(gatewayOrchestrator, [...waiting, fired], request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'timedOut' });
  });

  it('a reply raised before the orchestrator waits is still delivered (docs/field-notes.md#n6)', async () => {
    const early = [...played(episode1), ...activityDone.slice(0, 3), replyRaised(reply), activityDone[3] as HistoryEvent];
    const state = await runEpisode(gatewayOrchestrator, early, request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply });
  });

  it('a reply for an async request waits the request deadline', async () => {
    const asyncRequest = { ...request, waitMode: 'async', deadlineMs: 3_600_000 };
    const state = await runEpisode(gatewayOrchestrator, episode2, asyncRequest);
    const timer = (whenAnyOf(state.actions[0] ?? [])?.compoundActions as Array<Record<string, unknown>>)[1];
    expect(timer?.fireAt).toBe(new Date(t1.getTime() + 3_600_000).toISOString());
  });

  it("a reply event whose claim check is not this request's own is refused; the real reply still wins", async () => {
    const forged = { ...reply, body: undefined, ref: { container: 'requests', blobName: 'req-2', size: 7, etag: '"0x2"' } };
    const refusedOnly = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged)], request);
    expect(refusedOnly.isDone).toBe(false);
    expect(refusedOnly.customStatus).toEqual({
      stage: 'AwaitingReply',
      since: t1.toISOString(),
      deadline: deadline.toISOString(),
      refusedReplies: 1,
    });
    const own = { ...reply, body: undefined, ref: { container: 'reply-bodies', blobName: 'req-1.json/0x1', size: 7, etag: '"0x1"' } };
    const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged), replyRaised(own)], request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply: own });
  });

  it('a refused reply does not stop the deadline', async () => {
    const forged = { ...reply, body: undefined, ref: { container: 'reply-bodies', blobName: 'req-2/x', size: 7, etag: '"0x2"' } };
    const fired = event(EventType.TimerFired, deadline, { TimerId: 1, FireAt: deadline.toISOString() });
    const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged), fired], request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'timedOut' });
  });

  it('a malformed reply event fails the orchestration instead of answering with it, the deadline timer cancelled', async () => {
    const failure = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised({ nope: true })], request).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toMatch(/not a ReplyEnvelope/);
    // A failure with a live timer would stay Running on Azure until the deadline fires (DTFx HasOpenTasks).
    const state = JSON.parse(failure?.message.split('$OutOfProcData$:')[1] ?? '{}') as OrchestratorState;
    const timer = (whenAnyOf(state.actions[0] ?? [])?.compoundActions as Array<Record<string, unknown>>)[1];
    expect(timer).toMatchObject({ actionType: ActionType.CreateTimer, isCanceled: true });
  });

  it('a failed dispatch fails the orchestration', async () => {
    const failed = [
      ...played(episode1),
      ...activityDone.slice(0, 3),
      event(EventType.TaskFailed, t1, { TaskScheduledId: 0, Reason: 'storage down', Details: 'boom' }),
    ];
    await expect(runEpisode(gatewayOrchestrator, failed, request)).rejects.toThrow(/storage down/);
  });
});
