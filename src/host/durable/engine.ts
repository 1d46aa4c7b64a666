/**
 * The Durable Task engine behind the management API. The hub state lives in memory (the
 * authority while this host owns the task hub); every change is a record in the commit log,
 * applied once committed; the tables are a view fed after each commit.
 *
 * Who acknowledges what:
 * - a start, raised event, terminate, suspend or resume: the management call answers once its
 *   log record is committed (so an accepted call survives SIGKILL);
 * - an activity result, a timer that fired or a raised event: a message record, handed to the
 *   instance as it is appended so that the episode handling it shares its write (commitAndHandOver);
 *   the episode is applied only after the message is committed; the work item is done from that
 *   commit on (until then a restart runs the activity again);
 * - an inbox message: consumed by the commit of the episode that handled it (or by an `ack`
 *   record when it was dropped); until then a restart delivers it again, and the actor's
 *   completion keys drop what the history already holds;
 * - an episode's outbound work (activities, timers, continue-as-new) starts only after the
 *   episode's record is committed.
 *
 * With `clientDelayMs` (Azure timing) a client operation is still acknowledged only once committed
 * (on Azure its 202 means "in a durable queue"), but reaches the instance that long after, as a
 * control-queue message does when the Azure Storage provider's poller has backed off; and two
 * racing starts of one id are both accepted (docs/local-host.md, "Azure timing").
 */
import { randomUUID } from 'node:crypto';
import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import { ActivityRunner } from './activity-runner.js';
import { atMost } from './at-most.js';
import type { CommitLog } from './commit-log.js';
import { EventType, event, type HistoryEvent } from './history.js';
import type { HubState, InstanceEntry } from './hub-state.js';
import { type EpisodeCommit, InstanceActor } from './instance-actor.js';
import { type InstanceFilter, queryInstances } from './instance-query.js';
import { emptyBook, type InstanceRecord, type RuntimeStatus, TERMINAL } from './instance-record.js';
import { type InboxMessage, type LogRecord, workKey } from './log-records.js';
import type { ControlMessage, Pending, WorkItem } from './messages.js';
import { runEpisode } from './orchestration-runner.js';
import type { TimerRequest } from './sdk-bookkeeping.js';

/** How long a status read waits for the episodes already due before it answers what is committed. */
export const SETTLE_WAIT_MS = 2_000;

export interface EngineOptions {
  registry: Registry;
  invoker: Invoker;
  state: HubState;
  log: CommitLog<LogRecord>;
  logger: (level: 'info' | 'warn' | 'error', message: string) => void;
  maxConcurrentActivities?: number;
  /** A failed episode (a host fault, not an orchestrator error) is retried from the inbox after this long. */
  retryMs?: number;
  /** Azure timing: client operations reach the instance this long after they are acknowledged. */
  clientDelayMs?: number;
}

export type ClientOutcome = 'accepted' | 'notFound' | 'gone';

export class DurableEngine {
  private readonly actors = new Map<string, InstanceActor>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly starting = new Map<string, Promise<unknown>>();
  /** Azure timing: client messages committed and acknowledged, not yet handed to their instance. */
  private readonly enqueued = new Set<NodeJS.Timeout>();
  private readonly activities: ActivityRunner;
  private stopping = false;

  constructor(private readonly o: EngineOptions) {
    this.activities = new ActivityRunner(o.registry, o.invoker, o.maxConcurrentActivities ?? 100, (item, ev) =>
      this.activityDone(item, ev),
    );
  }

  /** Resumes what the recovered state holds: inbox messages, outstanding activities, running timers. */
  start(): void {
    for (const [id, entry] of this.o.state.withInbox()) {
      for (const [msgId, body] of entry.inbox) this.actor(id).deliver({ id: msgId, body });
    }
    for (const item of this.o.state.work.values()) this.activities.enqueue(item);
    for (const t of this.o.state.timers()) this.armTimer(t);
  }

  /** Graceful stop: no new work; running episodes and activities finish and commit. What is left stays in the log. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const quiet = (async () => {
      await this.activities.drain();
      await Promise.all([...this.actors.values()].map((a) => a.settled()));
    })();
    await atMost(quiet, timeoutMs);
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    // Still in their inboxes (committed): the next start delivers them.
    for (const handle of this.enqueued) clearTimeout(handle);
    this.enqueued.clear();
  }

  // ---- client operations (the management API) ----

  async startNew(name: string, instanceId: string, input: string | null): Promise<'created' | 'conflict'> {
    // On the Azure Storage provider two racing starts both pass the client's status check and are
    // both accepted (AzureStorageOrchestrationService.CreateTaskOrchestrationAsync ignores a failed
    // SetNewExecutionAsync); the hub state keeps the first (HubState.apply) and drops the other.
    if (this.o.clientDelayMs !== undefined) return this.startLocked(name, instanceId, input);
    // One start per id at a time: two racing starts must not both create an execution.
    while (this.starting.has(instanceId)) await this.starting.get(instanceId)?.catch(() => undefined);
    const work = this.startLocked(name, instanceId, input);
    this.starting.set(instanceId, work);
    try {
      return await work;
    } finally {
      this.starting.delete(instanceId);
    }
  }

  private async startLocked(name: string, instanceId: string, input: string | null): Promise<'created' | 'conflict'> {
    const existing = this.o.state.get(instanceId);
    if (existing && !TERMINAL.has(existing.record.runtimeStatus)) return 'conflict';
    const now = new Date().toISOString();
    const record: InstanceRecord = {
      instanceId,
      name,
      executionId: randomUUID(),
      runtimeStatus: 'Pending',
      input,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      historyLength: 0,
      book: emptyBook(),
    };
    const message: InboxMessage = {
      id: randomUUID(),
      message: { instanceId, executionId: record.executionId, event: event(EventType.ExecutionStarted, { Name: name, Input: input }) },
    };
    await this.o.log.append({ t: 'start', record, message });
    if (this.o.state.get(instanceId)?.record.executionId !== record.executionId) {
      this.o.logger(
        'info',
        `Instance ${instanceId}: a racing start was accepted and dropped as a duplicate start, as the Azure Storage provider does.`,
      );
      return 'created';
    }
    this.deliverClient(instanceId, { id: message.id, body: message.message });
    return 'created';
  }

  getStatus(instanceId: string): InstanceRecord | undefined {
    return this.o.state.get(instanceId)?.record;
  }

  /**
   * The status once the instance has handled every message it had been handed before this call
   * (a raised event, an activity result): a client that raised an event and then reads sees the
   * episode that took it, instead of reading again and again while it runs. Only committed state
   * is ever answered. Messages that have not reached the instance yet (Azure timing holds client
   * messages back) are not waited for, so with Azure timing a read can still come before them.
   * The wait is bounded (SETTLE_WAIT_MS): an episode runs user code (hooks, a long replay), and a
   * hook that reads its own instance would otherwise wait on the read that waits on it; past the
   * bound the committed state is answered as it is, as a read always could.
   */
  async settledStatus(instanceId: string): Promise<InstanceRecord | undefined> {
    const caught = this.actors.get(instanceId)?.caughtUp();
    if (caught !== undefined) await atMost(caught, SETTLE_WAIT_MS);
    return this.getStatus(instanceId);
  }

  readHistory(record: InstanceRecord): HistoryEvent[] {
    const entry = this.o.state.get(record.instanceId);
    return entry && entry.record.executionId === record.executionId ? entry.history : [];
  }

  raiseEvent(instanceId: string, name: string, data: string | null): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.EventRaised, { Name: name, Input: data, MessageId: randomUUID() }));
  }

  terminate(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionTerminated, { Input: reason }));
  }

  suspend(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionSuspended, { Input: reason }));
  }

  resume(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionResumed, { Input: reason }));
  }

  async purge(instanceId: string): Promise<'purged' | 'notFound' | 'running'> {
    const entry = this.o.state.get(instanceId);
    if (!entry) return 'notFound';
    if (!TERMINAL.has(entry.record.runtimeStatus)) return 'running';
    await this.o.log.append({ t: 'purge', instanceIds: [instanceId] });
    this.actors.delete(instanceId);
    return 'purged';
  }

  /** Purges the finished instances the filter matches (running ones are never purged); returns how many. */
  async purgeBy(filter: InstanceFilter): Promise<number> {
    const ids = queryInstances(this.o.state, filter, undefined, Number.MAX_SAFE_INTEGER)
      .records.filter((r) => TERMINAL.has(r.runtimeStatus))
      .map((r) => r.instanceId);
    if (ids.length === 0) return 0;
    await this.o.log.append({ t: 'purge', instanceIds: ids });
    for (const id of ids) this.actors.delete(id);
    return ids.length;
  }

  query(filter: InstanceFilter, continuation: string | undefined, pageSize: number): { records: InstanceRecord[]; continuation?: string } {
    return queryInstances(this.o.state, filter, continuation, pageSize);
  }

  private async send(instanceId: string, e: HistoryEvent): Promise<ClientOutcome> {
    const entry = this.o.state.get(instanceId);
    if (!entry) return 'notFound';
    if (TERMINAL.has(entry.record.runtimeStatus)) return 'gone';
    const message: InboxMessage = { id: randomUUID(), message: { instanceId, event: e } };
    if (this.o.clientDelayMs === undefined) {
      await this.commitAndHandOver({ t: 'message', message });
      return 'accepted';
    }
    await this.o.log.append({ t: 'message', message });
    this.deliverClient(instanceId, { id: message.id, body: message.message });
    return 'accepted';
  }

  /**
   * Commits a message for an instance and hands it over at once rather than after the commit: the
   * episode that handles it runs while the message waits for its write, and the episode's record
   * joins that write (CommitLog's `gather`), so the two share one fdatasync. Nothing is exposed
   * early: the episode's state, status and outbound work are applied only once its own record is
   * committed, which is after the message's in the log; if the message's write fails, so does the
   * episode's, and the inbox is as before. Resolves (or rejects) with the message's commit.
   */
  private commitAndHandOver(record: Extract<LogRecord, { t: 'message' }>): Promise<void> {
    const committed = this.o.log.append(record, { gather: true });
    const m = record.message;
    if (!this.o.log.refusing && this.o.state.get(m.message.instanceId)) {
      this.actor(m.message.instanceId).deliver({ id: m.id, body: m.message });
    }
    return committed;
  }

  /** A committed client message, handed to its instance now or, with Azure timing, `clientDelayMs` later. */
  private deliverClient(instanceId: string, m: Pending): void {
    const delay = this.o.clientDelayMs;
    if (delay === undefined) return this.actor(instanceId).deliver(m);
    const handle = setTimeout(() => {
      this.enqueued.delete(handle);
      // Purged, or its start replaced meanwhile: the message left the inbox with it.
      if (!this.stopping && this.o.state.get(instanceId)?.inbox.has(m.id)) this.actor(instanceId).deliver(m);
    }, delay);
    this.enqueued.add(handle);
  }

  // ---- message flow ----

  private actor(instanceId: string): InstanceActor {
    let actor = this.actors.get(instanceId);
    if (!actor) {
      actor = new InstanceActor(instanceId, {
        entry: (id) => this.o.state.get(id),
        runEpisode: (name, id, input, h) => this.runEpisode(name, id, input, h),
        commit: (c) => this.commitEpisode(c),
        dropped: (id, messages) => this.dropped(id, messages),
        failed: (id) => this.episodeFailed(id),
        log: this.o.logger,
      });
      this.actors.set(instanceId, actor);
    }
    return actor;
  }

  private async runEpisode(name: string, instanceId: string, input: string | null, history: HistoryEvent[]) {
    const fn = this.o.registry.find(name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      return { isDone: true, actions: [], error: `The orchestrator function '${name}' does not exist.` };
    }
    return runEpisode(this.o.invoker, fn, instanceId, input, history);
  }

  private async commitEpisode(c: EpisodeCommit): Promise<void> {
    const instanceId = c.record.instanceId;
    const messages = c.out.messages.map((message) => ({ id: randomUUID(), message }));
    await this.o.log.append({
      t: 'episode',
      record: c.record,
      events: c.events,
      ...(c.fresh ? { fresh: true as const } : {}),
      consumed: c.consumed.map((m) => m.id),
      work: c.out.activities,
      messages,
    });
    for (const timerId of c.out.cancelledTimers) this.cancelTimer(instanceId, timerId);
    for (const item of c.out.activities) this.activities.enqueue(item);
    for (const t of c.out.timers) this.armTimer(t);
    for (const m of messages) this.actor(instanceId).deliver({ id: m.id, body: m.message });
    if (TERMINAL.has(c.record.runtimeStatus)) this.retire(instanceId);
  }

  /** A finished instance's actor goes once it is idle; its state stays in the hub state for reads. */
  private retire(instanceId: string): void {
    setImmediate(() => {
      const actor = this.actors.get(instanceId);
      const entry = this.o.state.get(instanceId);
      if (actor?.idle && entry && TERMINAL.has(entry.record.runtimeStatus)) this.actors.delete(instanceId);
    });
  }

  private dropped(instanceId: string, messages: Pending[]): void {
    if (messages.length === 0) return;
    this.o.log.append({ t: 'ack', instanceId, ids: messages.map((m) => m.id) }).catch((err: unknown) => {
      // Harmless: an unrecorded drop is delivered again after a restart and dropped again.
      this.o.logger('warn', `Instance ${instanceId}: could not record dropped messages: ${String(err)}`);
    });
  }

  /** Nothing was committed: the inbox still holds the batch. A fresh actor takes it again after a pause. */
  private episodeFailed(instanceId: string): void {
    this.actors.delete(instanceId);
    setTimeout(() => {
      if (this.stopping) return;
      const entry = this.o.state.get(instanceId);
      if (entry) this.redeliver(instanceId, entry);
    }, this.o.retryMs ?? 1_000).unref();
  }

  private redeliver(instanceId: string, entry: InstanceEntry): void {
    for (const [id, body] of entry.inbox) this.actor(instanceId).deliver({ id, body });
  }

  private async activityDone(item: WorkItem, result: HistoryEvent): Promise<void> {
    const message: InboxMessage = {
      id: randomUUID(),
      message: { instanceId: item.instanceId, executionId: item.executionId, event: result },
    };
    try {
      await this.commitAndHandOver({ t: 'message', message, answers: workKey(item) });
    } catch (err) {
      // Not committed (nor the episode that took it): the work item is still outstanding, and the next start runs it again.
      this.o.logger('warn', `Activity ${item.name} for ${item.instanceId}: result not committed (${String(err)}).`);
    }
  }

  private armTimer(t: TimerRequest): void {
    const key = `${t.instanceId}:${t.timerId}`;
    const fireAt = Date.parse(t.fireAt);
    clearTimeout(this.timers.get(key));
    // setTimeout holds at most ~24.8 days; longer timers re-arm.
    const handle = setTimeout(
      () => {
        if (Date.now() < fireAt) return this.armTimer(t);
        this.timers.delete(key);
        void this.fire(t);
      },
      Math.min(Math.max(0, fireAt - Date.now()), 2 ** 31 - 1),
    );
    this.timers.set(key, handle);
  }

  private async fire(t: TimerRequest): Promise<void> {
    const entry = this.o.state.get(t.instanceId);
    if (!entry || entry.record.executionId !== t.executionId || TERMINAL.has(entry.record.runtimeStatus)) return;
    const body: ControlMessage = {
      instanceId: t.instanceId,
      executionId: t.executionId,
      event: event(EventType.TimerFired, { TimerId: t.timerId, FireAt: t.fireAt }),
    };
    const message: InboxMessage = { id: randomUUID(), message: body };
    try {
      await this.commitAndHandOver({ t: 'message', message });
    } catch (err) {
      // The timer is still in the instance's bookkeeping: the next start arms it again.
      this.o.logger('warn', `Timer ${t.timerId} of ${t.instanceId} not committed (${String(err)}).`);
    }
  }

  private cancelTimer(instanceId: string, timerId: number): void {
    const key = `${instanceId}:${timerId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }
}

export type { InstanceFilter, RuntimeStatus };
