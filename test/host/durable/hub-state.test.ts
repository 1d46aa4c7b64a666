import { describe, expect, it } from 'vitest';
import { EventType, event } from '../../../src/host/durable/history.js';
import { HubState, type InstanceEntry } from '../../../src/host/durable/hub-state.js';
import { type InstanceFilter, queryInstances } from '../../../src/host/durable/instance-query.js';
import { emptyBook, type InstanceRecord } from '../../../src/host/durable/instance-record.js';
import { workKey } from '../../../src/host/durable/log-records.js';

/** Log records applied to the hub state, and the state through a checkpoint and back. */
const at = new Date('2026-01-01T00:00:00.000Z');
const record = (id: string, fields: Partial<InstanceRecord> = {}): InstanceRecord => ({
  instanceId: id,
  name: 'o',
  executionId: 'e1',
  runtimeStatus: 'Pending',
  input: null,
  output: null,
  customStatus: null,
  createdTime: at.toISOString(),
  lastUpdatedTime: at.toISOString(),
  historyLength: 0,
  book: emptyBook(),
  ...fields,
});
const started = (id: string) => ({
  id: `${id}-start`,
  message: { instanceId: id, executionId: 'e1', event: event(EventType.ExecutionStarted, { Name: 'o' }, at) },
});
const item = { instanceId: 'a', executionId: 'e1', taskId: 0, name: 'act', input: 1 };

/** The lines as views into one buffer holding the whole checkpoint, as the checkpoint reader hands them over. */
const restored = (lines: (string | Buffer)[]): HubState => {
  const text = lines.map((l) => l.toString());
  const file = Buffer.from(`${text.join('\n')}\n`);
  const back = new HubState();
  let offset = 0;
  for (const line of text) {
    const length = Buffer.byteLength(line);
    back.restore(file.subarray(offset, offset + length));
    offset += length + 1;
  }
  return back;
};

function sample(): HubState {
  const s = new HubState();
  s.apply({ t: 'start', record: record('a'), message: started('a') });
  s.apply({ t: 'start', record: record('b'), message: started('b') });
  s.apply({
    t: 'episode',
    record: record('a', { runtimeStatus: 'Running' }),
    consumed: ['a-start'],
    work: [item],
    messages: [],
    events: [
      event(EventType.OrchestratorStarted, {}, at),
      event(EventType.ExecutionStarted, { Name: 'o' }, at),
      event(EventType.TaskScheduled, { EventId: 0, Name: 'act' }, at),
      event(EventType.OrchestratorCompleted, {}, at),
    ],
  });
  s.apply({
    t: 'message',
    message: { id: 'b-raise', message: { instanceId: 'b', event: event(EventType.EventRaised, { Name: 'go' }, at) } },
  });
  return s;
}

describe('hub state', () => {
  it('a start racing one already in (Azure timing) changes nothing; a start after a finished execution replaces it', () => {
    const s = sample();
    const racing = { id: 'b-start-2', message: { ...started('b').message, executionId: 'e2' } };
    expect(s.apply({ t: 'start', record: record('b', { executionId: 'e2', input: '"second"' }), message: racing })).toEqual([]);
    expect(s.get('b')?.record).toMatchObject({ executionId: 'e1', input: null });
    expect([...(s.get('b')?.inbox.keys() ?? [])]).toEqual(['b-start', 'b-raise']);
    s.apply({
      t: 'episode',
      record: record('b', { runtimeStatus: 'Completed' }),
      consumed: ['b-start', 'b-raise'],
      work: [],
      messages: [],
      events: [],
    });
    s.apply({ t: 'start', record: record('b', { executionId: 'e3' }), message: { ...racing, id: 'b-start-3' } });
    expect(s.get('b')?.record).toMatchObject({ executionId: 'e3', runtimeStatus: 'Pending' });
  });

  it('applies starts, episodes and messages: history appended as played, inbox consumed, work outstanding', () => {
    const s = sample();
    const a = s.get('a');
    expect(a?.record.runtimeStatus).toBe('Running');
    expect(a?.record.historyLength).toBe(4);
    expect(a?.history.every((e) => e.IsPlayed)).toBe(true);
    expect([...(a?.inbox.keys() ?? [])]).toEqual([]);
    expect([...(s.get('b')?.inbox.keys() ?? [])]).toEqual(['b-start', 'b-raise']);
    expect([...s.work.keys()]).toEqual([workKey(item)]);

    // The activity's result answers the work item: it is done from that commit on.
    s.apply({
      t: 'message',
      message: {
        id: 'r',
        message: { instanceId: 'a', executionId: 'e1', event: event(EventType.TaskCompleted, { TaskScheduledId: 0 }, at) },
      },
      answers: workKey(item),
    });
    expect(s.work.size).toBe(0);
    s.apply({ t: 'purge', instanceIds: ['b'] });
    expect(s.get('b')).toBeUndefined();
  });

  it('restores from checkpoint lines given as bytes, and writes them back unchanged', () => {
    const s = sample();
    const text = s.snapshot().map((l) => l.toString());
    const back = restored(text);
    expect(back.get('a')?.record).toEqual(s.get('a')?.record);
    expect(back.snapshot().map((l) => l.toString())).toEqual(text);
    expect(back.get('a')?.history).toEqual(s.get('a')?.history);
    expect([...(back.get('b')?.inbox ?? [])]).toEqual([...(s.get('b')?.inbox ?? [])]);
  });

  it('survives a checkpoint round trip: status, history, inbox and work items', () => {
    const s = sample();
    const back = new HubState();
    for (const line of s.snapshot()) back.restore(line);
    expect(back.get('a')?.record).toEqual(s.get('a')?.record);
    expect(back.get('a')?.history).toEqual(s.get('a')?.history);
    expect([...(back.get('b')?.inbox ?? [])]).toEqual([...(s.get('b')?.inbox ?? [])]);
    expect([...back.work.values()]).toEqual([item]);
    // Appending to a restored (lazily parsed) history continues its numbering.
    const applied = back.apply({
      t: 'episode',
      record: record('a', { runtimeStatus: 'Running' }),
      consumed: [],
      work: [],
      messages: [],
      events: [event(EventType.OrchestratorStarted, {}, at)],
    });
    expect(applied[0]?.firstSequence).toBe(4);
  });
});

describe('finished instances in a checkpoint', () => {
  const finish = (s: HubState, id: string, status: InstanceRecord['runtimeStatus']) =>
    s.apply({
      t: 'episode',
      record: record(id, { runtimeStatus: status, output: '"done"', book: { ...emptyBook(), timers: { 3: at.toISOString() } } }),
      consumed: [`${id}-start`],
      work: [],
      messages: [],
      events: [event(EventType.OrchestratorStarted, {}, at), event(EventType.ExecutionCompleted, { Result: '"done"' }, at)],
    });

  it('are restored unparsed, written back byte for byte, and parsed when first read', () => {
    const s = new HubState();
    // Ids with a quote, a backslash and non-ASCII text: the id is read out of the unparsed line.
    const ids = ['plain', 'quote"d', 'back\\slash\\', 'ünï—code'];
    for (const id of ids) {
      s.apply({ t: 'start', record: record(id), message: started(id) });
      finish(s, id, 'Completed');
    }
    const lines = s.snapshot();
    const back = restored(lines);
    expect([...back.instances.keys()]).toEqual(ids);
    for (const id of ids) expect(back.get(id)?.headerLine()).toBeDefined();
    // A start-up scan neither parses them nor finds anything to do for them.
    expect([...back.withInbox()]).toEqual([]);
    expect([...back.timers()]).toEqual([]);
    expect(back.get('plain')?.finished).toBe(true);
    expect(back.get('plain')?.headerLine()).toBeDefined();
    expect(back.snapshot().map((l) => l.toString())).toEqual(lines.map((l) => l.toString()));
    // Read: parsed to a copy, equal to what was written; the entry stays compact.
    for (const id of ids) expect(back.get(id)?.record).toEqual(s.get(id)?.record);
    expect(back.get('plain')?.headerLine()).toBeDefined();
    expect(back.get('quote"d')?.history).toEqual(s.get('quote"d')?.history);
    expect(back.snapshot().map((l) => l.toString())).toEqual(lines.map((l) => l.toString()));
  });

  it('take changes after a restart: a message for a finished instance reaches its inbox', () => {
    const s = new HubState();
    s.apply({ t: 'start', record: record('f'), message: started('f') });
    finish(s, 'f', 'Failed');
    const back = restored(s.snapshot());
    back.apply({
      t: 'message',
      message: { id: 'late', message: { instanceId: 'f', event: event(EventType.EventRaised, { Name: 'x' }, at) } },
    });
    expect(back.get('f')?.record.runtimeStatus).toBe('Failed');
    expect([...(back.get('f')?.inbox.keys() ?? [])]).toEqual(['late']);
    expect([...back.withInbox()].map(([id]) => id)).toEqual(['f']);
    // A finished instance with something in its inbox is parsed at once when restored.
    const again = restored(back.snapshot());
    expect(again.get('f')?.headerLine()).toBeUndefined();
    expect([...again.withInbox()].map(([id]) => id)).toEqual(['f']);
  });

  it('a live instance is compacted once it finishes, and reads, queries and checkpoints answer as before', () => {
    const s = new HubState();
    s.apply({ t: 'start', record: record('live', { input: '"in"' }), message: started('live') });
    s.apply({ t: 'start', record: record('run'), message: started('run') });
    finish(s, 'run', 'Running');
    expect(s.get('live')?.compacted).toBe(false);
    const [applied] = finish(s, 'live', 'Completed');
    const entry = s.get('live');
    expect(entry?.compacted).toBe(true);
    expect(s.get('run')?.compacted).toBe(false);
    // The view still gets the appended events and the record from the applied change.
    expect(applied?.appended.map((e) => e.EventType)).toEqual([EventType.OrchestratorStarted, EventType.ExecutionCompleted]);
    const expected = record('live', {
      runtimeStatus: 'Completed',
      output: '"done"',
      historyLength: 2,
      book: { ...emptyBook(), timers: { 3: at.toISOString() } },
    });
    expect(applied?.entry?.record).toEqual(expected);
    expect(entry?.record).toEqual(expected);
    expect(entry?.history.map((e) => [e.EventType, e.IsPlayed, e.Result])).toEqual([
      [EventType.OrchestratorStarted, true, undefined],
      [EventType.ExecutionCompleted, true, '"done"'],
    ]);
    // Reads parse a copy: changing it changes nothing, and the entry stays compact.
    (entry as InstanceEntry).record.runtimeStatus = 'Running';
    (entry as InstanceEntry).history.length = 0;
    expect(entry?.record.runtimeStatus).toBe('Completed');
    expect(entry?.history).toHaveLength(2);
    expect(entry?.compacted).toBe(true);
    // Queries by status and time, and the start-up scans, see it as before.
    const ids = (f: InstanceFilter) => queryInstances(s, f, undefined, 10).records.map((r) => r.instanceId);
    expect(ids({ statuses: ['Completed'] })).toEqual(['live']);
    expect(ids({ statuses: ['Running'] })).toEqual(['run']);
    expect(ids({ createdFrom: at.toISOString(), idPrefix: 'li' })).toEqual(['live']);
    expect([...s.timers()].map((t) => t.instanceId)).toEqual(['run']);
    // It checkpoints as the finished line a restart restores unparsed, and back byte for byte.
    const lines = s.snapshot().map((l) => l.toString());
    expect(lines[0]).toBe(JSON.stringify({ k: 'instance', done: true, record: expected, inbox: [] }));
    const back = restored(s.snapshot());
    expect(back.get('live')?.compacted).toBe(true);
    expect(back.get('live')?.record).toEqual(expected);
    expect(back.get('live')?.history).toEqual(entry?.history);
    expect(back.snapshot().map((l) => l.toString())).toEqual(lines);
    // A late message unpacks it; once dropped (acknowledged) it is compacted again.
    s.apply({
      t: 'message',
      message: { id: 'late', message: { instanceId: 'live', event: event(EventType.EventRaised, { Name: 'x' }, at) } },
    });
    expect(entry?.compacted).toBe(false);
    expect([...s.withInbox()].map(([id]) => id)).toEqual(['live']);
    s.apply({ t: 'ack', instanceId: 'live', ids: ['late'] });
    expect(entry?.compacted).toBe(true);
    expect(s.snapshot().map((l) => l.toString())).toEqual(lines);
    // A new start after it replaces it; purge removes it.
    s.apply({ t: 'start', record: record('live', { executionId: 'e2' }), message: started('live') });
    expect(s.get('live')?.record.executionId).toBe('e2');
    s.apply({ t: 'purge', instanceIds: ['live'] });
    expect(s.get('live')).toBeUndefined();
  });

  it('a compacted instance holds its lines in one allocation of their size, not a slice of the shared buffer pool', () => {
    const s = new HubState();
    s.apply({ t: 'start', record: record('small', { input: '"in"' }), message: started('small') });
    finish(s, 'small', 'Completed');
    const entry = s.get('small') as InstanceEntry;
    expect(entry.compacted).toBe(true);
    const [header, history] = s.snapshot() as Buffer[];
    // A small Buffer.from would be a view into an 8 KiB pool slab that other buffers share.
    expect(header?.buffer).toBe(history?.buffer);
    expect(header?.buffer.byteLength).toBe((header?.length ?? 0) + (history?.length ?? 0));
    expect(JSON.parse(history?.toString() ?? '')).toEqual(entry.history);
  });

  it('leave running instances parsed at once, with their timers', () => {
    const s = new HubState();
    s.apply({ t: 'start', record: record('r'), message: started('r') });
    finish(s, 'r', 'Running');
    const back = restored(s.snapshot());
    expect(back.get('r')?.headerLine()).toBeUndefined();
    expect([...back.timers()]).toEqual([{ instanceId: 'r', executionId: 'e1', timerId: 3, fireAt: at.toISOString() }]);
  });
});
