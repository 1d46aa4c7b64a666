/**
 * What the commit log holds: every change to the task hub's durable state, as one record. The
 * same records drive the live engine (applied once committed) and recovery (replayed after the
 * checkpoint), so the two cannot drift apart.
 */
import type { HistoryEvent } from './history.js';
import type { InstanceRecord } from './instance-record.js';
import type { ControlMessage, WorkItem } from './messages.js';

/** A message in an instance's inbox: durable from the moment its record is committed until an episode consumes it. */
export interface InboxMessage {
  id: string;
  message: ControlMessage;
}

export type LogRecord =
  /** A new execution (first start of an id, or a restart of a finished one); replaces what was there. */
  | { t: 'start'; record: InstanceRecord; message: InboxMessage }
  /** A raised event, terminate/suspend/resume, a timer that fired, or an activity's result (`answers` = its work item). */
  | { t: 'message'; message: InboxMessage; answers?: string }
  /**
   * An episode's outcome: the new state, the history it appended (`fresh`: of a new execution, after
   * continue-as-new), the inbox messages it consumed, and the work and messages it sends out.
   */
  | {
      t: 'episode';
      record: InstanceRecord;
      events: HistoryEvent[];
      fresh?: true;
      consumed: string[];
      work: WorkItem[];
      messages: InboxMessage[];
    }
  /** Inbox messages dropped without an episode (duplicates, messages for a finished instance). */
  | { t: 'ack'; instanceId: string; ids: string[] }
  | { t: 'purge'; instanceIds: string[] };

/** The key of an outstanding work item: its result names it, so the item is done exactly when the result is committed. */
export function workKey(item: Pick<WorkItem, 'instanceId' | 'executionId' | 'taskId'>): string {
  return `${item.instanceId}\n${item.executionId}\n${item.taskId}`;
}
