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
  replyBodiesContainer: 'reply-bodies',
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

const own: ReplyEnvelope = {
  ...reply,
  body: undefined,
  ref: { container: 'reply-bodies', blobName: 'req-1.json/0x1', size: 7, etag: '"0x1"' },
};
const t3 = new Date('2025-01-01T00:00:06.000Z');
/** The reply `raised`, then the claim-check activity (EventId 2, after dispatch and timer) answering `verdict`. */
const checked = (raised: HistoryEvent, verdict: unknown): HistoryEvent[] => [
  ...played([...waiting, raised]),
  event(EventType.TaskScheduled, t2, { EventId: 2, Name: 'checkClaimCheck' }),
  event(EventType.OrchestratorCompleted, t2),
  event(EventType.OrchestratorStarted, t3),
  event(EventType.TaskCompleted, t3, { TaskScheduledId: 2, Result: JSON.stringify(verdict) }),
];
const fired = event(EventType.TimerFired, deadline, { TimerId: 1, FireAt: deadline.toISOString() });
const activitiesIn = (state: OrchestratorState) =>
  state.actions.flat().flatMap((a) => (typeof a.functionName === 'string' ? [a.functionName] : []));

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

  it("a reply event whose claim check is not this request's own is refused without a look at storage; the real reply still wins", async () => {
    const forgedRefs = [
      { container: 'requests', blobName: 'req-1/x', size: 7, etag: '"0x2"' },
      { container: 'reply-bodies', blobName: 'req-2/x', size: 7, etag: '"0x2"' },
    ];
    for (const ref of forgedRefs) {
      const forged = { ...reply, body: undefined, ref };
      const refusedOnly = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged)], request);
      expect(refusedOnly.isDone).toBe(false);
      expect(activitiesIn(refusedOnly)).toEqual(['dispatchRequest']);
      expect(refusedOnly.customStatus).toEqual({
        stage: 'AwaitingReply',
        since: t1.toISOString(),
        deadline: deadline.toISOString(),
        refusedReplies: 1,
      });
      const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged), replyRaised(reply)], request);
      expect(state.isDone).toBe(true);
      expect(state.output).toEqual({ outcome: 'replied', reply });
    }
  });

  it('an inline reply answers with no claim-check activity', async () => {
    const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(reply)], request);
    expect(activitiesIn(state)).toEqual(['dispatchRequest']);
  });

  it('a claim-check reply is confirmed by checkClaimCheck (with retries) before it answers', async () => {
    const asked = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(own)], request);
    expect(asked.isDone).toBe(false);
    expect(asked.actions[0]?.at(-1)).toEqual({
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'checkClaimCheck',
      input: { requestId: 'req-1', ref: own.ref },
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 4, backoffCoefficient: 2 },
    });
    const state = await runEpisode(gatewayOrchestrator, checked(replyRaised(own), { held: true }), request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply: own });
    const timer = (whenAnyOf(state.actions[0] ?? [])?.compoundActions as Array<Record<string, unknown>>)[1];
    expect(timer).toMatchObject({ actionType: ActionType.CreateTimer, isCanceled: true });
  });

  it('a claim check not there as described (ETag, size, absent) is refused; the request keeps waiting and the real reply wins', async () => {
    const refused = { held: false, reason: 'no such blob' };
    const waitingOn = await runEpisode(gatewayOrchestrator, checked(replyRaised(own), refused), request);
    expect(waitingOn.isDone).toBe(false);
    expect(waitingOn.customStatus).toMatchObject({ stage: 'AwaitingReply', deadline: deadline.toISOString(), refusedReplies: 1 });
    const state = await runEpisode(gatewayOrchestrator, [...checked(replyRaised(own), refused), replyRaised(reply)], request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply });
  });

  it('a real reply raised while a forged claim check is being looked at still answers', async () => {
    const history = checked(replyRaised(own), { held: false, reason: 'no such blob' });
    const state = await runEpisode(
      gatewayOrchestrator,
      [...history.slice(0, -1), replyRaised(reply), history.at(-1) as HistoryEvent],
      request,
    );
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'replied', reply });
  });

  it('a request started before its input named the claim-check container leaves the container to the activity', async () => {
    const { replyBodiesContainer: _, ...legacy } = request;
    const elsewhere = { ...own, ref: { ...own.ref, container: 'requests' } };
    const state = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(elsewhere)], legacy);
    expect(state.isDone).toBe(false);
    expect(activitiesIn(state)).toEqual(['dispatchRequest', 'checkClaimCheck']);
  });

  it('a refused reply does not stop the deadline: the timer is replaced by one for the same deadline', async () => {
    const forged = { ...reply, body: undefined, ref: { container: 'reply-bodies', blobName: 'req-2/x', size: 7, etag: '"0x2"' } };
    const refused = await runEpisode(gatewayOrchestrator, [...waiting, replyRaised(forged)], request);
    // Each timer appears once in the actions the extension is handed: one it saw again would be
    // scheduled twice and shift the ids of the tasks after it.
    const waits = refused.actions.flat().filter((a) => a.actionType === ActionType.WhenAny);
    expect(waits.map((w) => (w.compoundActions as Array<Record<string, unknown>>)[1])).toEqual([
      { actionType: ActionType.CreateTimer, fireAt: deadline.toISOString(), isCanceled: true },
      { actionType: ActionType.CreateTimer, fireAt: deadline.toISOString(), isCanceled: false },
    ]);
    const replaced = [
      ...played([...waiting, replyRaised(forged)]),
      event(EventType.TimerCreated, t2, { EventId: 2, FireAt: deadline.toISOString() }),
      event(EventType.OrchestratorCompleted, t2),
      event(EventType.OrchestratorStarted, deadline),
      event(EventType.TimerFired, deadline, { TimerId: 2, FireAt: deadline.toISOString() }),
    ];
    const state = await runEpisode(gatewayOrchestrator, replaced, request);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ outcome: 'timedOut' });
  });

  it('after a claim check refused by the activity, the next one is scheduled under the next id', async () => {
    const refusedFirst = [...checked(replyRaised(own), { held: false, reason: 'no such blob' }), replyRaised({ ...own, replyId: 'real' })];
    const state = await runEpisode(gatewayOrchestrator, refusedFirst, request);
    const idTaking = state.actions.flat().filter((a) => a.actionType !== ActionType.WhenAny);
    const timers = state.actions.flat().flatMap((a) => (a.actionType === ActionType.WhenAny ? [(a.compoundActions as unknown[])[1]] : []));
    // dispatch 0, timer 1, check 2, timer 3, check 4: as the extension numbers what it is handed.
    expect([...idTaking, ...timers].length).toBe(5);
    expect(idTaking.map((a) => a.functionName)).toEqual(['dispatchRequest', 'checkClaimCheck', 'checkClaimCheck']);
    const answered = [
      ...played(refusedFirst),
      event(EventType.TimerCreated, t3, { EventId: 3, FireAt: deadline.toISOString() }),
      event(EventType.TaskScheduled, t3, { EventId: 4, Name: 'checkClaimCheck' }),
      event(EventType.OrchestratorCompleted, t3),
      event(EventType.OrchestratorStarted, t3),
      event(EventType.TaskCompleted, t3, { TaskScheduledId: 4, Result: JSON.stringify({ held: true }) }),
    ];
    const done = await runEpisode(gatewayOrchestrator, answered, request);
    expect(done.isDone).toBe(true);
    expect(done.output).toEqual({ outcome: 'replied', reply: { ...own, replyId: 'real' } });
  });

  it('the deadline passing while a claim check is confirmed: refused, it times out; confirmed, the reply (which came first) answers', async () => {
    const duringCheck = (verdict: unknown) => {
      const history = checked(replyRaised(own), verdict);
      return [...history.slice(0, -1), fired, history.at(-1) as HistoryEvent];
    };
    const refused = await runEpisode(gatewayOrchestrator, duringCheck({ held: false, reason: 'no such blob' }), request);
    expect(refused.isDone).toBe(true);
    expect(refused.output).toEqual({ outcome: 'timedOut' });
    const held = await runEpisode(gatewayOrchestrator, duringCheck({ held: true }), request);
    expect(held.isDone).toBe(true);
    expect(held.output).toEqual({ outcome: 'replied', reply: own });
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

  it('a claim check that cannot be looked at (storage down past the retries) fails the orchestration, the deadline timer cancelled', async () => {
    const history = checked(replyRaised(own), null).slice(0, -1);
    // Four attempts, as the host and the extension number them: each failure gets a retry timer
    // the SDK numbers next; when it fires, the next attempt, or (after the last) the failure.
    let id = 2;
    for (let attempt = 1; attempt <= 4; attempt++) {
      const timerId = id + 1;
      history.push(
        event(EventType.TaskFailed, t3, { TaskScheduledId: id, Reason: 'storage down', Details: 'ECONNREFUSED' }),
        event(EventType.TimerCreated, t3, { EventId: timerId, FireAt: t3.toISOString() }),
        event(EventType.OrchestratorCompleted, t3),
        event(EventType.OrchestratorStarted, t3),
        event(EventType.TimerFired, t3, { TimerId: timerId, FireAt: t3.toISOString() }),
      );
      if (attempt === 4) break;
      history.push(
        event(EventType.TaskScheduled, t3, { EventId: timerId + 1, Name: 'checkClaimCheck' }),
        event(EventType.OrchestratorCompleted, t3),
        event(EventType.OrchestratorStarted, t3),
      );
      id = timerId + 1;
    }
    const failure = await runEpisode(gatewayOrchestrator, history, request).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toMatch(/storage down/);
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
