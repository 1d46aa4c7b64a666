/**
 * One orchestration instance: a mailbox and at most one episode at a time. Messages are taken in
 * batches, replayed through the SDK with the committed history, and the outcome handed to the
 * engine to commit; the actor reads its state from the hub state, which changes only by commits.
 */
import { randomUUID } from 'node:crypto';
import { type Action, ActionType } from './actions.js';
import { completionKey, EventType, event, type HistoryEvent } from './history.js';
import type { InstanceEntry } from './hub-state.js';
import { emptyBook, type InstanceRecord, TERMINAL } from './instance-record.js';
import type { Pending } from './messages.js';
import type { EpisodeResult } from './orchestration-runner.js';
import { admitEvent, applyEpisode, cancelAllTimers, emptyOutbound, isOpenTask, type Outbound, retryEntry } from './sdk-bookkeeping.js';

/** An episode's outcome, ready to commit. */
export interface EpisodeCommit {
  record: InstanceRecord;
  events: HistoryEvent[];
  /** The history is a new execution's (continue-as-new). */
  fresh: boolean;
  consumed: Pending[];
  out: Outbound;
}

/** What an actor needs from the engine; kept narrow so the episode logic reads on its own. */
export interface ActorPorts {
  entry(instanceId: string): InstanceEntry | undefined;
  runEpisode(name: string, instanceId: string, input: string | null, history: HistoryEvent[]): Promise<EpisodeResult>;
  /** Resolves once the outcome is committed and applied to the hub state; outbound work starts after that. */
  commit(c: EpisodeCommit): Promise<void>;
  /** Messages consumed without an episode. */
  dropped(instanceId: string, messages: Pending[]): void;
  /** The episode failed before committing: nothing changed; the engine retries the inbox later. */
  failed(instanceId: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class InstanceActor {
  private readonly mailbox: Pending[] = [];
  /** Messages that arrived while suspended; they stay in the inbox until the resume. */
  private readonly held: Pending[] = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  /**
   * Set and cleared inside `drain` itself, never in a later callback: a message delivered in the
   * same tick as the last episode's commit (group commit resolves many at once) must start a new
   * drain, not land in a mailbox nobody is draining any more.
   */
  private draining = false;
  private seen = new Set<string>();
  private seenFor: string | undefined;
  /** Messages taken into the mailbox, and of those how many have been handled (committed, dropped or given up on). */
  private taken = 0;
  private handled = 0;
  private catchUps: { upTo: number; resolve: () => void }[] = [];

  constructor(
    readonly instanceId: string,
    private readonly ports: ActorPorts,
  ) {}

  private get entry(): InstanceEntry | undefined {
    return this.ports.entry(this.instanceId);
  }

  get idle(): boolean {
    return !this.draining && this.mailbox.length === 0;
  }

  deliver(message: Pending): void {
    // Recovery and retries redeliver the inbox; a message already waiting here is not taken twice.
    if (this.queued.has(message.id)) return;
    this.queued.add(message.id);
    this.taken++;
    this.mailbox.push(message);
    if (!this.draining) this.running = this.drain();
  }

  /**
   * Resolves once every message this actor had been handed when it was called has been handled:
   * its episode committed and applied to the hub state (or the message dropped, or the episode
   * failed and left it in the inbox). Messages handed over later are not waited for, so a busy
   * instance cannot hold the caller for more than the episodes already due.
   */
  caughtUp(): Promise<void> {
    if (this.handled >= this.taken) return Promise.resolve();
    return new Promise((resolve) => this.catchUps.push({ upTo: this.taken, resolve }));
  }

  private markHandled(count: number): void {
    this.handled = Math.min(this.taken, this.handled + count);
    if (this.catchUps.length === 0) return;
    const due = this.catchUps.filter((c) => c.upTo <= this.handled);
    this.catchUps = this.catchUps.filter((c) => c.upTo > this.handled);
    for (const c of due) c.resolve();
  }

  /** Resolves when no episode is running and the mailbox is empty. */
  async settled(): Promise<void> {
    while (this.draining) await this.running;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      await this.drainMailbox();
    } finally {
      this.draining = false;
    }
  }

  private async drainMailbox(): Promise<void> {
    while (this.mailbox.length > 0) {
      const batch = this.takeBatch();
      try {
        await this.process(batch);
        for (const m of batch) this.queued.delete(m.id);
        this.markHandled(batch.length);
      } catch (err) {
        this.ports.log(
          'error',
          `Instance ${this.instanceId}: episode failed, retried from its inbox: ${(err as Error).stack ?? String(err)}`,
        );
        this.mailbox.length = 0;
        this.held.length = 0;
        this.queued.clear();
        // Left in the inbox for a later retry: nobody waits on this actor for them.
        this.markHandled(Number.POSITIVE_INFINITY);
        this.ports.failed(this.instanceId);
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
      if (isControl(e) || retryEntry(this.entry?.record.book, e) !== undefined) break;
      n++;
    }
    return this.mailbox.splice(0, n);
  }

  private async process(batch: Pending[]): Promise<void> {
    const entry = this.entry;
    // Work on a copy: status reads see only committed state, and a failed episode leaves nothing half-applied.
    const record = entry && structuredClone(entry.record);
    const first = batch[0]?.body.event;
    if (!entry || !record || !first) return this.drop(batch, 'unknown instance');
    this.index(entry);
    if (TERMINAL.has(record.runtimeStatus)) return this.drop(batch, `instance is ${record.runtimeStatus}`);
    if (first.EventType === EventType.ExecutionTerminated) return this.terminate(record, batch);
    if (first.EventType === EventType.ExecutionSuspended) return this.simple(record, batch, 'Suspended', EventType.ExecutionSuspended);
    if (first.EventType === EventType.ExecutionResumed) {
      if (record.runtimeStatus !== 'Suspended') return this.drop(batch, 'not suspended');
      await this.simple(record, batch, 'Running', EventType.ExecutionResumed);
      const resumed = this.held.splice(0);
      // Handled once more from the mailbox, so counted as taken again (see caughtUp).
      this.taken += resumed.length;
      this.mailbox.unshift(...resumed);
      return;
    }
    if (record.runtimeStatus === 'Suspended') {
      this.held.push(...batch);
      return;
    }
    await this.runEpisode(entry, record, batch);
  }

  private async runEpisode(entry: InstanceEntry, record: InstanceRecord, batch: Pending[]): Promise<void> {
    const now = new Date();
    const accepted = batch.filter((m) => this.accepts(entry, record, m));
    if (accepted.length === 0) return this.ports.dropped(this.instanceId, batch);
    const out = emptyOutbound();
    const incoming = accepted.flatMap((m) => {
      const key = completionKey(m.body.event);
      if (key) this.seen.add(key);
      return admitEvent(record, m.body.event, now, out);
    });
    const newEvents: HistoryEvent[] = [event(EventType.OrchestratorStarted, {}, now), ...incoming];
    const history = [...entry.history, ...newEvents];
    const result = await this.ports.runEpisode(record.name, record.instanceId, record.input, history);

    const { decided, held } = applyEpisode(record, result, now, out, history);
    newEvents.push(...decided, event(EventType.OrchestratorCompleted, {}, now));
    record.lastUpdatedTime = now.toISOString();
    if (result.customStatus !== undefined) record.customStatus = result.customStatus;

    // Held by open tasks, a continue-as-new waits too: it is part of completing (DTFx `CompleteOrchestration`).
    const continueAs =
      result.isDone && !result.error && !held ? result.actions.find((a) => a.actionType === ActionType.ContinueAsNew) : undefined;
    if (continueAs) return this.continueAsNew(record, continueAs, batch, out);
    if (TERMINAL.has(record.runtimeStatus)) cancelAllTimers(record, out);
    await this.ports.commit({ record, events: newEvents, fresh: false, consumed: batch, out });
  }

  /** Drops duplicates, stale replies from an earlier execution, and replies to ids never scheduled. */
  private accepts(entry: InstanceEntry, record: InstanceRecord, m: Pending): boolean {
    const e = m.body.event;
    if (m.body.executionId && m.body.executionId !== record.executionId) return false;
    if (e.EventType === EventType.ExecutionStarted) return entry.history.length === 0;
    const key = completionKey(e);
    if (key && this.seen.has(key)) return false;
    if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed)
      return isOpenTask(record, entry.history, e.TaskScheduledId);
    if (e.EventType === EventType.TimerFired) return record.book.timers[e.TimerId ?? -1] !== undefined;
    return true;
  }

  private async continueAsNew(record: InstanceRecord, action: Action, batch: Pending[], out: Outbound): Promise<void> {
    cancelAllTimers(record, out);
    const input = action.input === undefined ? null : typeof action.input === 'string' ? action.input : JSON.stringify(action.input);
    const executionId = randomUUID();
    const next: InstanceRecord = {
      ...record,
      executionId,
      runtimeStatus: 'Running',
      input,
      output: null,
      historyLength: 0,
      book: emptyBook(),
    };
    const started = event(EventType.ExecutionStarted, { Name: record.name, Input: input });
    out.activities.length = 0;
    out.timers.length = 0;
    out.messages.push({ instanceId: record.instanceId, executionId, event: started });
    await this.ports.commit({ record: next, events: [], fresh: true, consumed: batch, out });
  }

  private async terminate(record: InstanceRecord, batch: Pending[]): Promise<void> {
    const now = new Date();
    const reason = String((batch[0] as Pending).body.event.Input ?? '');
    record.runtimeStatus = 'Terminated';
    record.output = JSON.stringify(reason);
    record.lastUpdatedTime = now.toISOString();
    const out = emptyOutbound();
    cancelAllTimers(record, out);
    // Whatever waited while suspended is moot now; it is consumed with the terminate.
    const moot = this.held.splice(0);
    await this.ports.commit({
      record,
      events: [event(EventType.ExecutionTerminated, { Input: reason }, now)],
      fresh: false,
      consumed: [...batch, ...moot],
      out,
    });
  }

  private async simple(record: InstanceRecord, batch: Pending[], status: 'Suspended' | 'Running', type: EventType): Promise<void> {
    const now = new Date();
    record.runtimeStatus = status;
    record.lastUpdatedTime = now.toISOString();
    const reason = (batch[0] as Pending).body.event.Input ?? '';
    await this.ports.commit({
      record,
      events: [event(type, { Reason: String(reason) }, now)],
      fresh: false,
      consumed: batch,
      out: emptyOutbound(),
    });
  }

  private drop(batch: Pending[], why: string): void {
    for (const m of batch) {
      this.ports.log('warn', `Instance ${m.body.instanceId}: ${EventType[m.body.event.EventType]} ignored (${why}).`);
    }
    this.ports.dropped(this.instanceId, batch);
  }

  /** The completion keys of the committed history, rebuilt when the execution changed underneath. */
  private index(entry: InstanceEntry): void {
    const at = `${entry.record.executionId}:${entry.history.length}`;
    if (this.seenFor === at) return;
    this.seen = new Set(entry.history.map(completionKey).filter((k): k is string => k !== undefined));
    this.seenFor = at;
  }
}

function isControl(e: HistoryEvent): boolean {
  return (
    e.EventType === EventType.ExecutionTerminated ||
    e.EventType === EventType.ExecutionSuspended ||
    e.EventType === EventType.ExecutionResumed
  );
}
