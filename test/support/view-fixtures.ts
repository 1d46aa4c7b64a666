// Instances and events as the engine hands them to the table view, for the view's tests
// (the writer in-process and the writer on its worker thread).
import { EventType, event, type HistoryEvent } from '../../src/host/durable/history.js';
import type { InstanceSnapshot } from '../../src/host/durable/view/view-writer.js';

/** A fixed instant `s` seconds past a minute, so rows can be compared with what was handed over. */
export const at = (s: number): string => new Date(Date.UTC(2026, 11, 2, 3, 0, s)).toISOString();

export const ev = (type: EventType, fields: Partial<HistoryEvent>, second: number): HistoryEvent =>
  event(type, fields, new Date(at(second)));

export function snapshot(instanceId: string, fields: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    instanceId,
    name: 'hello',
    executionId: 'exec-1',
    runtimeStatus: 'Running',
    input: '"in"',
    output: null,
    customStatus: null,
    createdTime: at(0),
    lastUpdatedTime: at(1),
    ...fields,
  };
}
