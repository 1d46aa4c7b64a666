import { randomUUID } from 'node:crypto';
import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import { event, EventType, type HistoryEvent } from './history.js';
import { InstanceActor, type Outbound, type PreparedOutbound } from './instance-actor.js';
import { emptyBook, TERMINAL, type InstanceRecord, type InstanceStore, type RuntimeStatus } from './instance-store.js';
import { Held, type ControlMessage, type Settleable, type WorkItem } from './messages.js';
import { runEpisode } from './orchestration-runner.js';
import { ActivityRunner } from './activity-runner.js';
import { Poller } from './poller.js';
import type { Received, WorkQueue } from './work-queue.js';

export interface EngineOptions {
  registry: Registry;
  invoker: Invoker;
  store: InstanceStore;
  control: WorkQueue<ControlMessage>;
  work: WorkQueue<WorkItem>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long a message this host is handling stays hidden from pollers (crash recovery delay). */
  leaseMs?: number;
  /** Poll backoff for messages another process (or a previous run) left in the queues. */
  pollMaxMs?: number;
  maxConcurrentActivities?: number;
}

export type ClientOutcome = 'accepted' | 'notFound' | 'gone';

/** Finished instances kept in memory for status reads; older ones are read from the table. */
const FINISHED_CACHE = 10_000;
/** Timer messages stay hidden a little past their fire time so the in-process timer wins the race. */
const TIMER_GRACE_MS = 2_000;

/**
 * The Durable Task engine behind the management API: instances as actors, activities, timers,
 * state in the Azure Storage provider's tables and queues.
 */
export class DurableEngine {
  private readonly actors = new Map<string, InstanceActor>();
  private readonly loading = new Map<string, Promise<InstanceActor>>();
  private readonly finished = new Map<string, InstanceRecord>();
  private readonly inflight = new Map<string, { receipt: Received<unknown>['receipt'] | undefined }>();
  private readonly timers = new Map<string, { handle: NodeJS.Timeout; held: Held<ControlMessage> }>();
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly activities: ActivityRunner;
  private readonly pollers: { start(): void; stop(): Promise<void> }[] = [];
  private readonly leaseMs: number;
  private stopping = false;

  constructor(private readonly o: EngineOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.activities = new ActivityRunner(o.registry, o.invoker, o.maxConcurrentActivities ?? 100, (item, ev, held) =>
      this.deliver({ instanceId: item.instanceId, executionId: item.executionId, event: ev }, held));
    const pollMaxMs = o.pollMaxMs ?? 1_000;
    this.pollers.push(
      new Poller(o.control, this.leaseMs, pollMaxMs, (m) => this.onPolledControl(m), (e) => o.log('warn', `control queue poll: ${e}`)),
      new Poller(o.work, this.leaseMs, pollMaxMs, (m) => this.onPolledWork(m), (e) => o.log('warn', `work-item queue poll: ${e}`)),
    );
  }

  start(): void {
    for (const p of this.pollers) p.start();
  }

  /** Graceful stop: no new work, running episodes and activities finish, unhandled messages go back to the queue. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(this.pollers.map((p) => p.stop()));
    const quiet = (async () => {
      await this.activities.drain();
      await Promise.all([...this.actors.values()].map((a) => a.settled()));
    })();
    await Promise.race([quiet, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    for (const { handle } of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    const unhandled = [...this.actors.values()].flatMap((a) => a.takeUnhandled());
    await Promise.all([...unhandled, ...this.activities.takeQueued()].map((h) => h.release()));
    this.inflight.clear();
  }

  // ---- client operations (the management API) ----

  async startNew(name: string, instanceId: string, input: string | null): Promise<'created' | 'conflict'> {
    // One start per id at a time: two racing starts must not both create an execution.
    while (this.starting.has(instanceId)) await this.starting.get(instanceId)?.catch(() => undefined);
    const work = this.startNewLocked(name, instanceId, input);
    this.starting.set(instanceId, work);
    try {
      return await work;
    } finally {
      this.starting.delete(instanceId);
    }
  }

  private async startNewLocked(name: string, instanceId: string, input: string | null): Promise<'created' | 'conflict'> {
    const existing = await this.getStatus(instanceId);
    if (existing && !TERMINAL.has(existing.runtimeStatus)) return 'conflict';
    const now = new Date().toISOString();
    const record: InstanceRecord = {
      instanceId, name, executionId: randomUUID(), runtimeStatus: 'Pending', input, output: null, customStatus: null,
      createdTime: now, lastUpdatedTime: now, historyLength: 0, book: emptyBook(),
    };
    const message: ControlMessage = { instanceId, executionId: record.executionId, event: event(EventType.ExecutionStarted, { Name: name, Input: input }) };
    // Both durable before the caller hears 202: a status read right after start must find the instance.
    const [receipt] = await Promise.all([this.o.control.send(message, this.leaseMs), this.o.store.write(record)]);
    const actor = await this.actor(instanceId);
    actor.reset(record);
    this.finished.delete(instanceId);
    actor.deliver(this.hold(message, this.o.control, receipt));
    return 'created';
  }

  async getStatus(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.actors.get(instanceId)?.record;
    if (live) return live;
    const done = this.finished.get(instanceId);
    if (done) return done;
    return this.o.store.read(instanceId);
  }

  async readHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return this.o.store.readHistory(record.instanceId, record.executionId);
  }

  async raiseEvent(instanceId: string, name: string, data: string | null): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.EventRaised, { Name: name, Input: data, MessageId: randomUUID() }));
  }

  async terminate(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionTerminated, { Input: reason }));
  }

  async suspend(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionSuspended, { Input: reason }));
  }

  async resume(instanceId: string, reason: string): Promise<ClientOutcome> {
    return this.send(instanceId, event(EventType.ExecutionResumed, { Input: reason }));
  }

  async purge(instanceId: string): Promise<'purged' | 'notFound' | 'running'> {
    const record = await this.getStatus(instanceId);
    if (!record) return 'notFound';
    if (!TERMINAL.has(record.runtimeStatus)) return 'running';
    await this.o.store.purge(instanceId);
    this.finished.delete(instanceId);
    this.actors.delete(instanceId);
    return 'purged';
  }

  query(filter: { createdFrom?: string; createdTo?: string; statuses?: RuntimeStatus[] }, continuation: string | undefined, pageSize: number) {
    return this.o.store.query(filter, continuation, pageSize);
  }

  private async send(instanceId: string, e: HistoryEvent): Promise<ClientOutcome> {
    const record = await this.getStatus(instanceId);
    if (!record) return 'notFound';
    if (TERMINAL.has(record.runtimeStatus)) return 'gone';
    const message: ControlMessage = { instanceId, event: e };
    // A live, running instance makes the event durable itself, in the history its episode commits:
    // the caller hears 202 after that commit, and no queue message is written or deleted.
    const actor = this.actors.get(instanceId);
    if (actor && record.runtimeStatus === 'Running' && !this.stopping) {
      const settled = await new Promise<Held<ControlMessage>>((resolve) => actor.deliver(new Held(message, undefined, undefined, resolve)));
      if (settled.settled === 'acked') return 'accepted';
    }
    const receipt = await this.o.control.send(message, this.leaseMs);
    this.deliverHeld(this.hold(message, this.o.control, receipt));
    return 'accepted';
  }

  // ---- message flow ----

  private hold<T>(body: T, queue: WorkQueue<T> | undefined, receipt: Received<T>['receipt'] | undefined): Held<T> {
    const held = new Held(body, queue, receipt, (h) => {
      if (h.receipt) this.inflight.delete(h.receipt.messageId);
    });
    if (receipt) this.inflight.set(receipt.messageId, held);
    return held;
  }

  /** An in-process reply (activity result): acknowledging it deletes the work item it answers. */
  private deliver(message: ControlMessage, workItem: Settleable): void {
    this.deliverHeld(new Held<ControlMessage>(message, undefined, undefined, undefined, workItem));
  }

  private deliverHeld(held: Held<ControlMessage>): void {
    const instanceId = held.body.instanceId;
    const ready = this.actors.get(instanceId);
    if (ready) return ready.deliver(held);
    this.actor(instanceId).then(
      (actor) => actor.deliver(held),
      (err: unknown) => {
        this.o.log('error', `Instance ${instanceId}: could not load state, message retried after the lease: ${String(err)}`);
        held.abandon();
      },
    );
  }

  private async actor(instanceId: string): Promise<InstanceActor> {
    const ready = this.actors.get(instanceId);
    if (ready) return ready;
    let loading = this.loading.get(instanceId);
    if (!loading) {
      loading = (async () => {
        const record = this.finished.get(instanceId) ?? (await this.o.store.read(instanceId));
        const history = record ? await this.o.store.readHistory(instanceId, record.executionId) : [];
        const actor = new InstanceActor(record, history, {
          runEpisode: (name, id, input, h) => this.runEpisode(name, id, input, h),
          prepareOutbound: (out) => this.prepareOutbound(out),
          commit: (rec, events) => this.commit(rec, events),
          cancelTimer: (id, timerId) => this.cancelTimer(id, timerId),
          evict: (id) => this.actors.delete(id),
          log: this.o.log,
        });
        this.actors.set(instanceId, actor);
        return actor;
      })().finally(() => this.loading.delete(instanceId));
      this.loading.set(instanceId, loading);
    }
    return loading;
  }

  private async runEpisode(name: string, instanceId: string, input: string | null, history: HistoryEvent[]) {
    const fn = this.o.registry.find(name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      return { isDone: true, actions: [], error: `The orchestrator function '${name}' does not exist.` };
    }
    return runEpisode(this.o.invoker, fn, instanceId, input, history);
  }

  private async commit(record: InstanceRecord, newEvents: HistoryEvent[]): Promise<void> {
    await this.o.store.commit({ ...record, historyLength: record.historyLength + newEvents.length }, newEvents);
    if (TERMINAL.has(record.runtimeStatus)) this.retire(record);
  }

  /** Finished instances leave the actor map; a bounded cache keeps their status cheap to read. */
  private retire(record: InstanceRecord): void {
    this.finished.set(record.instanceId, record);
    if (this.finished.size > FINISHED_CACHE) this.finished.delete(this.finished.keys().next().value as string);
    setImmediate(() => {
      const actor = this.actors.get(record.instanceId);
      if (actor?.idle && actor.isTerminal) this.actors.delete(record.instanceId);
    });
  }

  private async prepareOutbound(out: Outbound): Promise<PreparedOutbound> {
    const now = Date.now();
    const [activities, timers, messages] = await Promise.all([
      Promise.all(out.activities.map(async (item) => this.hold(item, this.o.work, await this.o.work.send(item, this.leaseMs)))),
      Promise.all(
        out.timers.map(async (t) => {
          const body: ControlMessage = { instanceId: t.instanceId, executionId: t.executionId, event: event(EventType.TimerFired, { TimerId: t.timerId, FireAt: t.fireAt }) };
          const delay = Date.parse(t.fireAt) - now;
          return { t, held: this.hold(body, this.o.control, await this.o.control.send(body, Math.max(0, delay) + TIMER_GRACE_MS)) };
        }),
      ),
      Promise.all(out.messages.map(async (m) => this.hold(m, this.o.control, await this.o.control.send(m, this.leaseMs)))),
    ]);
    return {
      start: () => {
        for (const held of activities) this.activities.enqueue(held, this.stopping);
        for (const { t, held } of timers) this.armTimer(t.instanceId, t.timerId, Date.parse(t.fireAt), held);
        for (const held of messages) this.deliverHeld(held);
      },
    };
  }

  private armTimer(instanceId: string, timerId: number, fireAt: number, held: Held<ControlMessage>): void {
    const key = `${instanceId}:${timerId}`;
    const wait = fireAt - Date.now();
    // setTimeout holds at most ~24.8 days; longer timers re-arm.
    const handle = setTimeout(() => {
      if (Date.now() < fireAt) return this.armTimer(instanceId, timerId, fireAt, held);
      this.timers.delete(key);
      this.deliverHeld(held);
    }, Math.min(Math.max(0, wait), 2 ** 31 - 1));
    this.timers.set(key, { handle, held });
  }

  private cancelTimer(instanceId: string, timerId: number): void {
    const key = `${instanceId}:${timerId}`;
    const timer = this.timers.get(key);
    if (!timer) return;
    clearTimeout(timer.handle);
    this.timers.delete(key);
    // The SDK ignores a cancelled timer; deleting its message keeps it from waking anyone later.
    timer.held.ack().catch((err: unknown) => this.o.log('warn', `Could not delete cancelled timer ${key}: ${String(err)}`));
  }

  private onPolledControl(m: Received<ControlMessage>): void {
    if (this.refreshLease(m)) return;
    const fireAt = m.body.event.EventType === EventType.TimerFired ? Date.parse(m.body.event.FireAt ?? '') : NaN;
    const held = this.hold(m.body, this.o.control, m.receipt);
    if (fireAt > Date.now() + TIMER_GRACE_MS) {
      // A timer longer than the queue's maximum invisibility: hide it again until it is due.
      void this.o.control.send(m.body, fireAt - Date.now() + TIMER_GRACE_MS).then(() => held.ack(), () => held.abandon());
      return;
    }
    this.deliverHeld(held);
  }

  private onPolledWork(m: Received<WorkItem>): void {
    if (this.refreshLease(m)) return;
    this.activities.enqueue(this.hold(m.body, this.o.work, m.receipt), this.stopping);
  }

  /** A message still being handled here reappeared after its lease: keep handling it, with the new receipt. */
  private refreshLease(m: Received<unknown>): boolean {
    const held = this.inflight.get(m.receipt.messageId);
    if (!held) return false;
    held.receipt = m.receipt;
    return true;
  }
}
