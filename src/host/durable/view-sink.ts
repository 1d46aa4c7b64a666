/**
 * What the engine tells the table view after each commit: the instance's latest state, in the
 * view writer's snapshot shape. The view is written in the background, on a worker thread
 * (view/view-thread.ts, view/view-writer.ts), and never read back to make a decision.
 */
import type { InstanceRecord } from './instance-record.js';
import type { InstanceSnapshot } from './view/view-rows.js';

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
