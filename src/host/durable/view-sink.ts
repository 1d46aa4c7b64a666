/**
 * What the engine tells the table view after each commit: the instance's latest state and the
 * history events it appended. The view is written in the background and never read back to make
 * a decision; this is the seam between the two.
 */
import type { HistoryEvent } from './history.js';
import type { InstanceRecord, RuntimeStatus } from './instance-record.js';

export interface InstanceSnapshot {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  completedTime?: string;
}

export interface ViewSink {
  /** `appended`: the new events of `s.executionId` since the last update, in order, the first at `firstSequence`. */
  update(s: InstanceSnapshot, appended: HistoryEvent[], firstSequence: number): void;
  remove(instanceId: string): void;
  lag(): { pendingInstances: number; oldestMs: number };
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function snapshotOf(r: InstanceRecord): InstanceSnapshot {
  const done = r.runtimeStatus === 'Completed' || r.runtimeStatus === 'Failed' || r.runtimeStatus === 'Terminated';
  return {
    instanceId: r.instanceId,
    name: r.name,
    executionId: r.executionId,
    runtimeStatus: r.runtimeStatus,
    input: r.input,
    output: r.output,
    customStatus: r.customStatus,
    createdTime: r.createdTime,
    lastUpdatedTime: r.lastUpdatedTime,
    ...(done ? { completedTime: r.lastUpdatedTime } : {}),
  };
}
