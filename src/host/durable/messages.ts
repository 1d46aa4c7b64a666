/**
 * The messages an instance receives and the work items it sends out. Both exist only in memory
 * and in the commit log: a message is durable once its log record is committed, and leaves the
 * instance's inbox when the episode that consumed it is committed.
 */
import type { HistoryEvent } from './history.js';

/** One history event for an instance (the Azure Storage provider's TaskMessage). */
export interface ControlMessage {
  instanceId: string;
  /** Set for replies to something this execution scheduled; events from clients go to whatever execution is current. */
  executionId?: string;
  event: HistoryEvent;
}

/** One activity to run. */
export interface WorkItem {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: unknown;
}

/** A committed message on its way through an instance's mailbox; `id` names it in the inbox. */
export interface Pending {
  id: string;
  body: ControlMessage;
}
