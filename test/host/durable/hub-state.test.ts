import { describe, expect, it } from 'vitest';
import { EventType, event } from '../../../src/host/durable/history.js';
import { HubState } from '../../../src/host/durable/hub-state.js';
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
    const lines = s.snapshot().map((l) => Buffer.from(l));
    const reused = Buffer.alloc(1 << 16);
    const back = new HubState();
    // Each line as a view into one reused buffer, as the checkpoint reader hands them over.
    for (const line of lines) {
      line.copy(reused);
      back.restore(reused.subarray(0, line.length));
      reused.fill(0);
    }
    expect(back.get('a')?.record).toEqual(s.get('a')?.record);
    expect(back.snapshot().map((l) => l.toString())).toEqual(lines.map((l) => l.toString()));
    expect(back.get('a')?.history).toEqual(s.get('a')?.history);
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
