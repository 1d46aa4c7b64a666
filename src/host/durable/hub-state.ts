/**
 * The task hub's state in memory, the authority while this host owns the hub: every instance's
 * status, history and inbox, and the work items not yet answered. It changes only by `apply`ing
 * committed log records, live and at recovery alike.
 */
import type { HistoryEvent } from './history.js';
import { type InstanceRecord, TERMINAL } from './instance-record.js';
import { type InboxMessage, type LogRecord, workKey } from './log-records.js';
import type { ControlMessage, WorkItem } from './messages.js';

export class InstanceEntry {
  private parsed: HistoryEvent[] | undefined;

  constructor(
    public record: InstanceRecord,
    history: HistoryEvent[] | string | Buffer,
    /** Committed messages no episode has consumed yet, in arrival order. */
    readonly inbox: Map<string, ControlMessage> = new Map(),
  ) {
    if (Array.isArray(history)) this.parsed = history;
    else this.raw = history;
  }

  /**
   * The history as its checkpoint line (UTF-8 bytes), kept unparsed until first needed: a
   * restart with many finished instances then parses only their small status lines, and the next
   * checkpoint writes the bytes back as they were.
   */
  private raw: string | Buffer | undefined;

  /** The current execution's history, every event played. */
  get history(): HistoryEvent[] {
    if (!this.parsed) {
      this.parsed = JSON.parse(this.raw === undefined ? '[]' : this.raw.toString()) as HistoryEvent[];
      this.raw = undefined;
    }
    return this.parsed;
  }

  set history(events: HistoryEvent[]) {
    this.parsed = events;
    this.raw = undefined;
  }

  /** The checkpoint line of the history. */
  historyLine(): string | Buffer {
    return this.raw ?? JSON.stringify(this.parsed ?? []);
  }
}

/** What one applied record changed, for the view and the dispatcher. */
export interface Applied {
  instanceId: string;
  entry: InstanceEntry | undefined;
  /** Events appended to the history, and the sequence number of the first. */
  appended: HistoryEvent[];
  firstSequence: number;
}

/** A checkpoint line; an `instance` line is followed by a line holding that instance's history (a JSON array). */
export type CheckpointLine = { k: 'instance'; record: InstanceRecord; inbox: InboxMessage[] } | { k: 'work'; item: WorkItem };

export class HubState {
  readonly instances = new Map<string, InstanceEntry>();
  readonly work = new Map<string, WorkItem>();
  /** While restoring: the instance whose history line comes next. */
  private restoring: CheckpointLine | undefined;

  get(instanceId: string): InstanceEntry | undefined {
    return this.instances.get(instanceId);
  }

  apply(r: LogRecord): Applied[] {
    switch (r.t) {
      case 'start': {
        // A start racing one that is already in (possible with Azure timing only): as on the Azure
        // Storage provider, its status row insert conflicts and its ExecutionStarted is a duplicate.
        const existing = this.instances.get(r.record.instanceId);
        if (existing && !TERMINAL.has(existing.record.runtimeStatus)) return [];
        const entry = new InstanceEntry(r.record, [], new Map([[r.message.id, r.message.message]]));
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
  snapshot(): (string | Buffer)[] {
    const lines: (string | Buffer)[] = [];
    for (const e of this.instances.values()) {
      const line: CheckpointLine = { k: 'instance', record: e.record, inbox: [...e.inbox].map(([id, message]) => ({ id, message })) };
      lines.push(JSON.stringify(line), e.historyLine());
    }
    for (const item of this.work.values()) lines.push(JSON.stringify({ k: 'work', item } satisfies CheckpointLine));
    return lines;
  }

  /**
   * Takes the checkpoint's lines in order. A line given as bytes may be a view into a buffer
   * the caller reuses: a history line is copied (into its own small buffer, so the whole file's
   * bytes are not kept alive by it), a status line parsed.
   */
  restore(text: string | Buffer): void {
    const header = this.restoring;
    if (header?.k === 'instance') {
      this.restoring = undefined;
      this.instances.set(
        header.record.instanceId,
        new InstanceEntry(
          header.record,
          typeof text === 'string' ? text : Buffer.from(text),
          new Map(header.inbox.map((m) => [m.id, m.message])),
        ),
      );
      return;
    }
    const line = JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as CheckpointLine;
    if (line.k === 'work') this.work.set(workKey(line.item), line.item);
    else this.restoring = line;
  }

  /** Instances with something in their inbox: after recovery each gets an episode (or drops what is moot). */
  *withInbox(): Iterable<[string, InstanceEntry]> {
    for (const [id, e] of this.instances) if (e.inbox.size > 0) yield [id, e];
  }

  /** Timers of unfinished instances, to arm after recovery. */
  *timers(): Iterable<{ instanceId: string; executionId: string; timerId: number; fireAt: string }> {
    for (const [instanceId, e] of this.instances) {
      if (TERMINAL.has(e.record.runtimeStatus)) continue;
      for (const [id, fireAt] of Object.entries(e.record.book.timers))
        yield { instanceId, executionId: e.record.executionId, timerId: Number(id), fireAt };
    }
  }
}
