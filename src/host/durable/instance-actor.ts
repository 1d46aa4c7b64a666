import { randomUUID } from 'node:crypto';
import { ActionType, idTakingActions, retryDelayMs, unsupportedAction, type Action } from './actions.js';
import { completionKey, event, EventType, type HistoryEvent } from './history.js';
import { emptyBook, TERMINAL, type Bookkeeping, type InstanceRecord, type RetryEntry } from './instance-store.js';
import type { ControlMessage, Held, WorkItem } from './messages.js';
import type { EpisodeResult } from './orchestration-runner.js';

/** What an actor needs from the engine; kept narrow so the episode logic reads on its own. */
export interface ActorPorts {
  runEpisode(name: string, instanceId: string, input: string | null, history: HistoryEvent[]): Promise<EpisodeResult>;
  /** Durably records outbound work before history is committed (the Azure Storage provider's order). */
  prepareOutbound(out: Outbound): Promise<PreparedOutbound>;
  commit(record: InstanceRecord, newEvents: HistoryEvent[]): Promise<void>;
  cancelTimer(instanceId: string, timerId: number): void;
  /** The in-memory state can't be trusted after a failed episode: the engine reloads it from storage. */
  evict(instanceId: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface Outbound {
  activities: WorkItem[];
  timers: { instanceId: string; executionId: string; timerId: number; fireAt: string }[];
  messages: ControlMessage[];
}

/** Sent but not yet started in-process; `start()` runs once history is committed. */
export interface PreparedOutbound {
  start(): void;
}

type Pending = Held<ControlMessage>;

/**
 * One orchestration instance: a mailbox and at most one episode at a time. Messages are taken in
 * batches, replayed through the SDK with the committed history, and acknowledged only after the
 * new history and status are written.
 */
export class InstanceActor {
  private readonly mailbox: Pending[] = [];
  private readonly held: Pending[] = [];
  private running: Promise<void> | undefined;
  private seen = new Set<string>();

  constructor(
    public record: InstanceRecord | undefined,
    private history: HistoryEvent[],
    private readonly ports: ActorPorts,
  ) {
    this.indexHistory();
  }

  get idle(): boolean {
    return !this.running && this.mailbox.length === 0;
  }

  get isTerminal(): boolean {
    return !!this.record && TERMINAL.has(this.record.runtimeStatus);
  }

  /** Replaces the instance with a fresh execution (start of a new or finished instance). */
  reset(record: InstanceRecord): void {
    this.record = record;
    this.history = [];
    this.indexHistory();
  }

  deliver(message: Pending): void {
    this.mailbox.push(message);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when no episode is running and the mailbox is empty. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Messages that arrived but were never handled (graceful stop hands them back to the queue). */
  takeUnhandled(): Pending[] {
    return this.mailbox.splice(0).concat(this.held.splice(0));
  }

  private async drain(): Promise<void> {
    while (this.mailbox.length > 0) {
      const batch = this.takeBatch();
      try {
        await this.process(batch);
      } catch (err) {
        // Nothing was acknowledged: the queue copies come back after their lease and are retried.
        const instanceId = batch[0]?.body.instanceId ?? '?';
        this.ports.log('error', `Instance ${instanceId}: episode failed, retried from the queue after the lease: ${(err as Error).stack ?? String(err)}`);
        for (const m of [...batch, ...this.takeUnhandled()]) m.abandon();
        this.ports.evict(instanceId);
        return;
      }
    }
  }

  /**
   * Control events go alone; a retry-related event only at the head of a batch, because the SDK
   * numbers the retry's timer or next attempt at the point it reads that event, and the host must
   * hand out the same number before the ids of any actions this episode adds.
   */
  private takeBatch(): Pending[] {
    const first = this.mailbox[0] as Pending;
    if (isControl(first.body.event)) return this.mailbox.splice(0, 1);
    let n = 1;
    while (n < this.mailbox.length) {
      const e = (this.mailbox[n] as Pending).body.event;
      if (isControl(e) || this.retryRelated(e)) break;
      n++;
    }
    return this.mailbox.splice(0, n);
  }

  private async process(batch: Pending[]): Promise<void> {
    // Work on a copy: status reads see only committed state, and a failed episode leaves nothing half-applied.
    const record = this.record && structuredClone(this.record);
    const first = batch[0]?.body.event;
    if (!record || !first) return this.drop(batch, 'unknown instance');
    if (TERMINAL.has(record.runtimeStatus)) return this.drop(batch, `instance is ${record.runtimeStatus}`);
    if (first.EventType === EventType.ExecutionTerminated) return this.terminate(record, batch);
    if (first.EventType === EventType.ExecutionSuspended) return this.suspend(record, batch);
    if (first.EventType === EventType.ExecutionResumed) return this.resume(record, batch);
    if (record.runtimeStatus === 'Suspended') {
      // Only what survives a crash may wait for the resume; the rest goes back to its sender's queue path.
      for (const m of batch) {
        if (m.isDurable) this.held.push(m);
        else await m.release();
      }
      return;
    }
    await this.runEpisode(record, batch);
  }

  private async runEpisode(record: InstanceRecord, batch: Pending[]): Promise<void> {
    const now = new Date();
    const accepted = batch.filter((m) => this.accepts(record, m.body));
    if (accepted.length === 0) return this.ackAll(batch);
    const out: Outbound = { activities: [], timers: [], messages: [] };
    const incoming = accepted.flatMap((m) => this.admit(record, m.body.event, now, out));
    const newEvents: HistoryEvent[] = [event(EventType.OrchestratorStarted, {}, now), ...incoming];
    const replay = [...this.history, ...newEvents];
    const result = await this.ports.runEpisode(record.name, record.instanceId, record.input, replay);

    const decided = this.apply(record, result, now, out);
    newEvents.push(...decided, event(EventType.OrchestratorCompleted, {}, now));
    record.lastUpdatedTime = now.toISOString();
    if (result.customStatus !== undefined) record.customStatus = result.customStatus;

    const continueAs = result.isDone && !result.error ? result.actions.find((a) => a.actionType === ActionType.ContinueAsNew) : undefined;
    if (continueAs) return this.continueAsNew(record, continueAs, batch, out);
    if (TERMINAL.has(record.runtimeStatus)) this.cancelAllTimers(record);
    await this.commit(record, newEvents, out, batch);
  }

  /** Drops duplicates, stale replies from an earlier execution, and replies to ids never scheduled. */
  private accepts(record: InstanceRecord, msg: ControlMessage): boolean {
    const e = msg.event;
    if (msg.executionId && msg.executionId !== record.executionId) return false;
    if (e.EventType === EventType.ExecutionStarted) return this.history.length === 0;
    const key = completionKey(e);
    if (key && this.seen.has(key)) return false;
    if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) return this.isOpenTask(record, e.TaskScheduledId);
    if (e.EventType === EventType.TimerFired) return record.book.timers[e.TimerId ?? -1] !== undefined;
    return true;
  }

  /** The history events a message becomes, with the retry bookkeeping the SDK expects. */
  private admit(record: InstanceRecord, e: HistoryEvent, now: Date, out: Outbound): HistoryEvent[] {
    const key = completionKey(e);
    if (key) this.seen.add(key);
    if (e.EventType === EventType.ExecutionStarted) record.runtimeStatus = 'Running';
    const book = record.book;
    const retry = this.retryEntry(book, e);
    if (!retry) {
      if (e.EventType === EventType.TimerFired) delete book.timers[e.TimerId as number];
      return [{ ...e, IsPlayed: false }];
    }
    const [ordinal, entry] = retry;
    if (e.EventType === EventType.TaskFailed) {
      const timerId = book.nextId++;
      const fireAt = new Date(now.getTime() + retryDelayMs(entry.options, entry.attempt)).toISOString();
      book.retries[ordinal] = { ...entry, timerId };
      book.timers[timerId] = fireAt;
      out.timers.push({ instanceId: record.instanceId, executionId: record.executionId, timerId, fireAt });
      return [{ ...e, IsPlayed: false }, event(EventType.TimerCreated, { EventId: timerId, FireAt: fireAt }, now)];
    }
    // The retry timer fired: the SDK schedules the next attempt if any are left.
    delete book.timers[e.TimerId as number];
    const attempt = entry.attempt + 1;
    if (attempt > entry.options.maxNumberOfAttempts) {
      delete book.retries[ordinal];
      return [{ ...e, IsPlayed: false }];
    }
    const taskId = book.nextId++;
    book.retries[ordinal] = { ...entry, attempt, taskId, timerId: undefined };
    out.activities.push({ instanceId: record.instanceId, executionId: record.executionId, taskId, name: entry.name, input: entry.input });
    return [{ ...e, IsPlayed: false }, event(EventType.TaskScheduled, { EventId: taskId, Name: entry.name }, now)];
  }

  /** Gives the episode's new actions their ids, schedules them, and sets the outcome. */
  private apply(record: InstanceRecord, result: EpisodeResult, now: Date, out: Outbound): HistoryEvent[] {
    const decided: HistoryEvent[] = [];
    const book = record.book;
    const unsupported = unsupportedAction(result.actions);
    if (unsupported && !result.error) {
      result = { ...result, isDone: true, error: `Action type ${ActionType[unsupported.actionType] ?? unsupported.actionType} is not supported by the local host.` };
    }
    idTakingActions(result.actions).forEach((action, ordinal) => {
      const known = book.ordinalIds[ordinal];
      if (known !== undefined) {
        if (action.actionType === ActionType.CreateTimer && action.isCanceled && book.timers[known] !== undefined) {
          delete book.timers[known];
          this.ports.cancelTimer(record.instanceId, known);
        }
        return;
      }
      const id = book.nextId++;
      book.ordinalIds[ordinal] = id;
      // A finished episode's last actions are not started (the SDK reports them, DTFx drops them).
      if (!result.isDone) decided.push(...this.schedule(record, action, ordinal, id, now, out));
    });
    if (result.error !== undefined) {
      record.runtimeStatus = 'Failed';
      record.output = JSON.stringify(result.error);
      decided.push(event(EventType.ExecutionFailed, { Reason: result.error }, now));
    } else if (result.isDone && !result.actions.some((a) => a.actionType === ActionType.ContinueAsNew)) {
      record.runtimeStatus = 'Completed';
      record.output = result.output ?? 'null';
      decided.push(event(EventType.ExecutionCompleted, { Result: record.output }, now));
    }
    return decided;
  }

  private schedule(record: InstanceRecord, action: Action, ordinal: number, id: number, now: Date, out: Outbound): HistoryEvent[] {
    const base = { instanceId: record.instanceId, executionId: record.executionId };
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const name = action.functionName ?? '';
        const input = activityInput(action.input);
        if (action.actionType === ActionType.CallActivityWithRetry && action.retryOptions) {
          record.book.retries[ordinal] = { attempt: 1, taskId: id, name, input, options: action.retryOptions };
        }
        out.activities.push({ ...base, taskId: id, name, input });
        return [event(EventType.TaskScheduled, { EventId: id, Name: name }, now)];
      }
      case ActionType.CreateTimer: {
        const fireAt = new Date(action.fireAt ?? now).toISOString();
        if (action.isCanceled) return [];
        record.book.timers[id] = fireAt;
        out.timers.push({ ...base, timerId: id, fireAt });
        return [event(EventType.TimerCreated, { EventId: id, FireAt: fireAt }, now)];
      }
      default:
        return [];
    }
  }

  private async continueAsNew(record: InstanceRecord, action: Action, batch: Pending[], out: Outbound): Promise<void> {
    this.cancelAllTimers(record);
    const input = action.input === undefined ? null : typeof action.input === 'string' ? action.input : JSON.stringify(action.input);
    const executionId = randomUUID();
    const next: InstanceRecord = { ...record, executionId, runtimeStatus: 'Running', input, output: null, historyLength: 0, book: emptyBook() };
    const started = event(EventType.ExecutionStarted, { Name: record.name, Input: input });
    out.activities.length = 0;
    out.timers.length = 0;
    out.messages.push({ instanceId: record.instanceId, executionId, event: started });
    this.reset(next);
    await this.commit(next, [], out, batch);
  }

  private async terminate(record: InstanceRecord, batch: Pending[]): Promise<void> {
    const now = new Date();
    const reason = String((batch[0] as Pending).body.event.Input ?? '');
    record.runtimeStatus = 'Terminated';
    record.output = JSON.stringify(reason);
    record.lastUpdatedTime = now.toISOString();
    this.cancelAllTimers(record);
    // Whatever waited while suspended is moot now; acknowledge it with the terminate.
    const moot = this.held.splice(0);
    await this.commit(record, [event(EventType.ExecutionTerminated, { Input: reason }, now)], emptyOutbound(), [...batch, ...moot]);
  }

  private async suspend(record: InstanceRecord, batch: Pending[]): Promise<void> {
    const now = new Date();
    record.runtimeStatus = 'Suspended';
    record.lastUpdatedTime = now.toISOString();
    const reason = (batch[0] as Pending).body.event.Input ?? '';
    await this.commit(record, [event(EventType.ExecutionSuspended, { Reason: String(reason) }, now)], emptyOutbound(), batch);
  }

  private async resume(record: InstanceRecord, batch: Pending[]): Promise<void> {
    if (record.runtimeStatus !== 'Suspended') return this.ackAll(batch);
    const now = new Date();
    record.runtimeStatus = 'Running';
    record.lastUpdatedTime = now.toISOString();
    const reason = (batch[0] as Pending).body.event.Input ?? '';
    await this.commit(record, [event(EventType.ExecutionResumed, { Reason: String(reason) }, now)], emptyOutbound(), batch);
    this.mailbox.unshift(...this.held.splice(0));
  }

  private async commit(record: InstanceRecord, newEvents: HistoryEvent[], out: Outbound, batch: Pending[]): Promise<void> {
    const prepared = await this.ports.prepareOutbound(out);
    await this.ports.commit(record, newEvents);
    this.record = record;
    this.history.push(...newEvents.map((e) => ({ ...e, IsPlayed: true })));
    record.historyLength = this.history.length;
    prepared.start();
    await this.ackAll(batch);
  }

  private async drop(batch: Pending[], why: string): Promise<void> {
    for (const m of batch) {
      this.ports.log('warn', `Instance ${m.body.instanceId}: ${EventType[m.body.event.EventType]} ignored (${why}).`);
    }
    await this.ackAll(batch);
  }

  private async ackAll(batch: Pending[]): Promise<void> {
    await Promise.all(batch.map((m) => m.ack()));
  }

  private cancelAllTimers(record: InstanceRecord): void {
    for (const id of Object.keys(record.book.timers)) this.ports.cancelTimer(record.instanceId, Number(id));
    record.book.timers = {};
  }

  private isOpenTask(record: InstanceRecord, taskId: number | undefined): boolean {
    if (taskId === undefined) return false;
    return this.history.some((h) => h.EventType === EventType.TaskScheduled && h.EventId === taskId) || record.book.ordinalIds.includes(taskId);
  }

  private retryEntry(book: Bookkeeping | undefined, e: HistoryEvent): [number, RetryEntry] | undefined {
    if (!book) return undefined;
    for (const [ordinal, raw] of Object.entries(book.retries)) {
      const entry: RetryEntry = raw;
      if (e.EventType === EventType.TaskFailed && entry.taskId === e.TaskScheduledId) return [Number(ordinal), entry];
      if (e.EventType === EventType.TimerFired && entry.timerId !== undefined && entry.timerId === e.TimerId) return [Number(ordinal), entry];
    }
    return undefined;
  }

  private retryRelated(e: HistoryEvent): boolean {
    return this.retryEntry(this.record?.book, e) !== undefined;
  }

  private indexHistory(): void {
    this.seen = new Set(this.history.map(completionKey).filter((k): k is string => k !== undefined));
  }
}

function isControl(e: HistoryEvent): boolean {
  return e.EventType === EventType.ExecutionTerminated || e.EventType === EventType.ExecutionSuspended || e.EventType === EventType.ExecutionResumed;
}

/** The SDK JSON-encodes string inputs in the action; activities get the value back. */
function activityInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function emptyOutbound(): Outbound {
  return { activities: [], timers: [], messages: [] };
}
