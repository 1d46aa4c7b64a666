/**
 * The task hub's state in memory, the authority while this host owns the hub: every instance's
 * status, history and inbox, and the work items not yet answered. It changes only by `apply`ing
 * committed log records, live and at recovery alike.
 */

import { finishedLineId } from './finished-line.js';
import type { HistoryEvent } from './history.js';
import { type InstanceRecord, TERMINAL } from './instance-record.js';
import { type InboxMessage, type LogRecord, workKey } from './log-records.js';
import type { ControlMessage, WorkItem } from './messages.js';

export class InstanceEntry {
  private parsed: HistoryEvent[] | undefined;
  private current: InstanceRecord | undefined;
  private messages: Map<string, ControlMessage> | undefined;
  /**
   * A finished instance with an empty inbox, compact: its status line as a checkpoint holds it
   * (finished-line.ts) and its history as the next line's bytes. Instances restored from a
   * checkpoint start so, and a live instance becomes so once it finishes (`compact`): parsed
   * objects of a finished instance cost ~10 times their JSON, and under steady load the finished
   * ones are nearly all of the hub until retention purges them. Reads parse a copy and keep
   * nothing; only a change (a message for the finished instance, a new start) unpacks the entry.
   */
  private header: Buffer | undefined;
  /**
   * The history as its checkpoint line (UTF-8 bytes), kept unparsed until first needed: a
   * restart with many finished instances then parses only their small status lines, and the next
   * checkpoint writes the bytes back as they were.
   */
  private raw: string | Buffer | undefined;

  constructor(
    record: InstanceRecord | Buffer,
    history: HistoryEvent[] | string | Buffer,
    /** Committed messages no episode has consumed yet, in arrival order. */
    inbox: Map<string, ControlMessage> = new Map(),
  ) {
    if (Buffer.isBuffer(record)) this.header = record;
    else {
      this.current = record;
      this.messages = inbox;
    }
    if (Array.isArray(history)) this.parsed = history;
    else this.raw = history;
  }

  /** The status; of a compact entry a fresh copy each read (changing it changes nothing: assign `record`). */
  get record(): InstanceRecord {
    if (this.header) return this.headerParsed().record;
    return this.current as InstanceRecord;
  }

  set record(record: InstanceRecord) {
    this.expand();
    this.current = record;
  }

  /** Committed messages no episode has consumed yet, in arrival order (unpacks a compact entry: callers change it). */
  get inbox(): Map<string, ControlMessage> {
    this.expand();
    return this.messages as Map<string, ControlMessage>;
  }

  /** Finished (Completed, Failed, Terminated), without parsing a compact entry. */
  get finished(): boolean {
    return this.header !== undefined || TERMINAL.has(this.record.runtimeStatus);
  }

  /** Whether the inbox holds anything, without parsing a compact entry (its inbox is empty). */
  get hasInbox(): boolean {
    return this.header === undefined && this.inbox.size > 0;
  }

  /** Whether the entry is held compact (a status line and history bytes, nothing parsed). */
  get compacted(): boolean {
    return this.header !== undefined;
  }

  /** The status line of a compact entry, as the next checkpoint writes it. */
  headerLine(): Buffer | undefined {
    return this.header;
  }

  /**
   * Once finished with an empty inbox, keeps the entry as the checkpoint would write it: the
   * status line (marked finished) and the history line, as bytes; the parsed objects go.
   */
  compact(): void {
    if (this.header || !this.current || !TERMINAL.has(this.current.runtimeStatus) || this.messages?.size) return;
    const header = JSON.stringify(instanceLine(this.current, this.messages ?? new Map<string, ControlMessage>()));
    const history = this.historyLine();
    // Both lines in one allocation of their exact size, a copy (a history restored as a view into
    // a checkpoint file's bytes would keep all of them), and never from Node's shared 8 KiB
    // buffer pool: `Buffer.from` serves small buffers as slices of that pool, so each finished
    // instance kept a whole slab alive (~6 KiB a finished instance on top of its ~3.5 KiB of
    // lines, measured with a heap snapshot of the bench host).
    const headerBytes = Buffer.byteLength(header, 'utf8');
    const historyBytes = typeof history === 'string' ? Buffer.byteLength(history, 'utf8') : history.length;
    const packed = Buffer.allocUnsafeSlow(headerBytes + historyBytes);
    packed.write(header, 0, 'utf8');
    if (typeof history === 'string') packed.write(history, headerBytes, 'utf8');
    else history.copy(packed, headerBytes);
    this.header = packed.subarray(0, headerBytes);
    this.raw = packed.subarray(headerBytes);
    this.current = undefined;
    this.messages = undefined;
    this.parsed = undefined;
  }

  private headerParsed(): Extract<CheckpointLine, { k: 'instance' }> {
    return JSON.parse((this.header as Buffer).toString('utf8')) as Extract<CheckpointLine, { k: 'instance' }>;
  }

  /** Parses a compact entry for good: from then on it is like any other, until compacted again. */
  expand(): void {
    if (!this.header) return;
    const line = this.headerParsed();
    this.header = undefined;
    this.current = line.record;
    this.messages = new Map(line.inbox.map((m) => [m.id, m.message]));
  }

  /** The current execution's history, every event played; of a compact entry a fresh copy each read. */
  get history(): HistoryEvent[] {
    if (this.parsed) return this.parsed;
    const events = JSON.parse(this.raw === undefined ? '[]' : this.raw.toString()) as HistoryEvent[];
    if (this.header) return events;
    this.parsed = events;
    this.raw = undefined;
    return events;
  }

  set history(events: HistoryEvent[]) {
    this.expand();
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

/**
 * An instance's checkpoint status line. A finished instance's is marked `done` right after the
 * kind: finished-line.ts recognises the line by that prefix.
 */
function instanceLine(record: InstanceRecord, inbox: Map<string, ControlMessage>): CheckpointLine {
  return {
    k: 'instance',
    ...(TERMINAL.has(record.runtimeStatus) ? { done: true as const } : {}),
    record,
    inbox: [...inbox].map(([id, message]) => ({ id, message })),
  };
}

/** A checkpoint line; an `instance` line is followed by a line holding that instance's history (a JSON array). */
export type CheckpointLine = { k: 'instance'; done?: true; record: InstanceRecord; inbox: InboxMessage[] } | { k: 'work'; item: WorkItem };

export class HubState {
  readonly instances = new Map<string, InstanceEntry>();
  readonly work = new Map<string, WorkItem>();
  /** While restoring: the instance whose history line comes next. */
  private restoring: CheckpointLine | { k: 'finished'; instanceId: string; header: Buffer } | undefined;

  get(instanceId: string): InstanceEntry | undefined {
    return this.instances.get(instanceId);
  }

  apply(r: LogRecord): Applied[] {
    switch (r.t) {
      case 'start': {
        // A start racing one that is already in (possible with Azure timing only): as on the Azure
        // Storage provider, its status row insert conflicts and its ExecutionStarted is a duplicate.
        const existing = this.instances.get(r.record.instanceId);
        if (existing && !existing.finished) return [];
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
        entry.expand(); // the history is appended to in place
        const firstSequence = entry.history.length;
        const appended = r.events.map((e) => ({ ...e, IsPlayed: true }));
        entry.history.push(...appended);
        entry.record = { ...r.record, historyLength: entry.history.length };
        for (const consumed of r.consumed) entry.inbox.delete(consumed);
        for (const item of r.work) this.work.set(workKey(item), item);
        for (const m of r.messages) entry.inbox.set(m.id, m.message);
        entry.compact();
        return [{ instanceId: id, entry, appended, firstSequence }];
      }
      case 'ack': {
        const entry = this.instances.get(r.instanceId);
        for (const id of r.ids) entry?.inbox.delete(id);
        entry?.compact();
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
      const header = e.headerLine();
      if (header) {
        lines.push(header, e.historyLine());
        continue;
      }
      lines.push(JSON.stringify(instanceLine(e.record, e.inbox)), e.historyLine());
    }
    for (const item of this.work.values()) lines.push(JSON.stringify({ k: 'work', item } satisfies CheckpointLine));
    return lines;
  }

  /**
   * Takes the checkpoint's lines in order. A history line given as bytes is kept as it is, a view
   * into the checkpoint file's bytes (so those stay in memory while any restored history is
   * unparsed, as a sliced string of the whole file did before): copying 100 000 small histories
   * out of it cost more than the rest of the recovery. The caller must not reuse the buffer.
   */
  restore(text: string | Buffer): void {
    const header = this.restoring;
    if (header?.k === 'finished') {
      this.restoring = undefined;
      this.instances.set(header.instanceId, new InstanceEntry(header.header, text));
      return;
    }
    if (header?.k === 'instance') {
      this.restoring = undefined;
      this.instances.set(
        header.record.instanceId,
        new InstanceEntry(header.record, text, new Map(header.inbox.map((m) => [m.id, m.message]))),
      );
      return;
    }
    const finishedId = Buffer.isBuffer(text) ? finishedLineId(text) : undefined;
    if (finishedId !== undefined) {
      this.restoring = { k: 'finished', instanceId: finishedId, header: text as Buffer };
      return;
    }
    const line = JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as CheckpointLine;
    if (line.k === 'work') this.work.set(workKey(line.item), line.item);
    else this.restoring = line;
  }

  /** Instances with something in their inbox: after recovery each gets an episode (or drops what is moot). */
  *withInbox(): Iterable<[string, InstanceEntry]> {
    for (const [id, e] of this.instances) if (e.hasInbox) yield [id, e];
  }

  /** Timers of unfinished instances, to arm after recovery. */
  *timers(): Iterable<{ instanceId: string; executionId: string; timerId: number; fireAt: string }> {
    for (const [instanceId, e] of this.instances) {
      if (e.finished) continue;
      for (const [id, fireAt] of Object.entries(e.record.book.timers))
        yield { instanceId, executionId: e.record.executionId, timerId: Number(id), fireAt };
    }
  }
}
