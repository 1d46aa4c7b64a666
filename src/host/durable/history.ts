/**
 * Durable Task history events in the wire shape the durable-functions SDK replays
 * (PascalCase fields, `Timestamp` ISO strings). See docs/durable-host-contract.md#42-history-events-the-wire-shape.
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventRaised = 15,
  ContinueAsNew = 16,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string | null;
  Result?: string;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  /** Queue message that carried the event: lets a redelivered message be recognised. */
  MessageId?: string;
  [field: string]: unknown;
}

export function event(type: EventType, fields: Partial<HistoryEvent> = {}, at = new Date()): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: at.toISOString(), ...fields };
}

/** The id that a completion-type event answers, for deduplicating at-least-once messages. */
export function completionKey(e: HistoryEvent): string | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
      return `task:${e.TaskScheduledId}`;
    case EventType.TimerFired:
      return `timer:${e.TimerId}`;
    default:
      return e.MessageId ? `msg:${e.MessageId}` : undefined;
  }
}
