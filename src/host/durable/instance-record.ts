/**
 * An orchestration instance's state as the engine keeps it in memory and in the commit log: the
 * status the management API reports, plus the bookkeeping the host needs to stay in step with the SDK.
 */
import type { RetryOptions } from './actions.js';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Suspended' | 'ContinuedAsNew';

export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export interface RetryEntry {
  attempt: number;
  taskId: number;
  /** Set while the retry timer runs. */
  timerId?: number;
  name: string;
  input: unknown;
  options: RetryOptions;
}

/** What the host itself needs to continue an instance: task ids it handed out, retries, timers. */
export interface Bookkeeping {
  nextId: number;
  /** Ordinal of an id-taking action → the task id the SDK gave it. */
  ordinalIds: number[];
  /** Retryable activities by ordinal: attempt number and the task id of the current attempt. */
  retries: Record<number, RetryEntry>;
  /** Timers not yet fired or cancelled: id → fire time (ISO). */
  timers: Record<number, string>;
}

/** What the management API and the table view show of an instance. */
export interface InstanceStatus {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface InstanceRecord extends InstanceStatus {
  /** History rows committed for this execution. */
  historyLength: number;
  book: Bookkeeping;
}

export function emptyBook(): Bookkeeping {
  return { nextId: 0, ordinalIds: [], retries: {}, timers: {} };
}
