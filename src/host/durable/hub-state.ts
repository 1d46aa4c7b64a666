/**
 * The task hub's state in memory, the authority while this host owns the hub: every instance's
 * status, history and inbox, and the work items not yet answered. It changes only by `apply`ing
 * committed log records, live and at recovery alike.
 */
import type { HistoryEvent } from './history.js';
import { TERMINAL, type InstanceRecord } from './instance-record.js';
import { workKey, type InboxMessage, type LogRecord } from './log-records.js';
import type { ControlMessage, WorkItem } from './messages.js';

export interface InstanceEntry {
  record: InstanceRecord;
  /** The current execution's history, every event played. */
  history: HistoryEvent[];
  /** Committed messages no episode has consumed yet, in arrival order. */
  inbox: Map<string, ControlMessage>;
}

/** What one applied record changed, for the view and the dispatcher. */
export interface Applied {
  instanceId: string;
  entry: InstanceEntry | undefined;
  /** Events appended to the history, and the sequence number of the first. */
  appended: HistoryEvent[];
  firstSequence: number;
}

/** One line of a checkpoint. */
export type CheckpointLine =
  | { k: 'instance'; record: InstanceRecord; history: HistoryEvent[]; inbox: InboxMessage[] }
  | { k: 'work'; item: WorkItem };

export class HubState {
  readonly instances = new Map<string, InstanceEntry>();
  readonly work = new Map<string, WorkItem>();

  get(instanceId: string): InstanceEntry | undefined {
    return this.instances.get(instanceId);
  }

  apply(r: LogRecord): Applied[] {
    switch (r.t) {
      case 'start': {
        const entry: InstanceEntry = { record: r.record, history: [], inbox: new Map([[r.message.id, r.message.message]]) };
        this.instances.set(r.record.instanceId, entry);
        return [{ instanceId: r.record.instanceId, entry, appended: [], firstSequence: 0 }];
      }
      case 'message': {
        if (r.answers) this.work.delete(r.answers);
        // A message for a purged instance has nowhere to go (the engine refuses to send those).
        this.instances.get(r.message.message.instanceId)?.inbox.set(r.message.id, r.message.message);
        return [];
      }
      case 'episode': {
        const id = r.record.instanceId;
        const entry = this.instances.get(id);
        if (!entry) return [];
        if (r.fresh) entry.history = [];
        const firstSequence = entry.history.length;
        const appended = r.events.map((e) => ({ ...e, IsPlayed: true }));
        entry.history.push(...appended);
        entry.record = { ...r.record, historyLength: entry.history.length };
        for (const consumed of r.consumed) entry.inbox.delete(consumed);
        for (const item of r.work) this.work.set(workKey(item), item);
        for (const m of r.messages) entry.inbox.set(m.id, m.message);
        return [{ instanceId: id, entry, appended, firstSequence }];
      }
      case 'ack': {
        const entry = this.instances.get(r.instanceId);
        for (const id of r.ids) entry?.inbox.delete(id);
        return [];
      }
      case 'purge': {
        for (const id of r.instanceIds) this.instances.delete(id);
        const gone = new Set(r.instanceIds);
        for (const [key, item] of this.work) if (gone.has(item.instanceId)) this.work.delete(key);
        return r.instanceIds.map((instanceId) => ({ instanceId, entry: undefined, appended: [], firstSequence: 0 }));
      }
    }
  }

  /** The state as checkpoint lines (serialised at once: the state goes on changing after this returns). */
  snapshot(): string[] {
    const lines: string[] = [];
    for (const e of this.instances.values()) {
      const line: CheckpointLine = { k: 'instance', record: e.record, history: e.history, inbox: [...e.inbox].map(([id, message]) => ({ id, message })) };
      lines.push(JSON.stringify(line));
    }
    for (const item of this.work.values()) lines.push(JSON.stringify({ k: 'work', item } satisfies CheckpointLine));
    return lines;
  }

  restore(line: CheckpointLine): void {
    if (line.k === 'work') {
      this.work.set(workKey(line.item), line.item);
      return;
    }
    this.instances.set(line.record.instanceId, { record: line.record, history: line.history, inbox: new Map(line.inbox.map((m) => [m.id, m.message])) });
  }

  /** Instances with something in their inbox: after recovery each gets an episode (or drops what is moot). */
  *withInbox(): Iterable<[string, InstanceEntry]> {
    for (const [id, e] of this.instances) if (e.inbox.size > 0) yield [id, e];
  }

  /** Timers of unfinished instances, to arm after recovery. */
  *timers(): Iterable<{ instanceId: string; executionId: string; timerId: number; fireAt: string }> {
    for (const [instanceId, e] of this.instances) {
      if (TERMINAL.has(e.record.runtimeStatus)) continue;
      for (const [id, fireAt] of Object.entries(e.record.book.timers)) yield { instanceId, executionId: e.record.executionId, timerId: Number(id), fireAt };
    }
  }
}
