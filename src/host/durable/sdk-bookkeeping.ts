/**
 * The bookkeeping that keeps the host in step with the SDK, as pure functions over an instance's
 * record: which task id each new action gets (the SDK numbers them itself and matches results by
 * that number), what a retryable activity's failure and its retry timer turn into, which timers
 * run, and the outcome an episode sets. No I/O, no clock (the caller passes `now`).
 */
import { type Action, ActionType, idTakingActions, retryDelayMs, unsupportedAction } from './actions.js';
import { EventType, event, type HistoryEvent } from './history.js';
import type { Bookkeeping, InstanceRecord, RetryEntry } from './instance-record.js';
import type { ControlMessage, WorkItem } from './messages.js';
import type { EpisodeResult } from './orchestration-runner.js';

export interface TimerRequest {
  instanceId: string;
  executionId: string;
  timerId: number;
  fireAt: string;
}

/** What an episode sends out once it is committed. */
export interface Outbound {
  activities: WorkItem[];
  timers: TimerRequest[];
  messages: ControlMessage[];
  /** Timers the episode cancelled (Task.any won by something else, or the instance finished). */
  cancelledTimers: number[];
}

export function emptyOutbound(): Outbound {
  return { activities: [], timers: [], messages: [], cancelledTimers: [] };
}

/** The history events an incoming event becomes, with the retry bookkeeping the SDK expects. */
export function admitEvent(record: InstanceRecord, e: HistoryEvent, now: Date, out: Outbound): HistoryEvent[] {
  if (e.EventType === EventType.ExecutionStarted) record.runtimeStatus = 'Running';
  const book = record.book;
  const retry = retryEntry(book, e);
  if (!retry) {
    if (e.EventType === EventType.TimerFired) delete book.timers[e.TimerId as number];
    return [{ ...e, IsPlayed: false }];
  }
  const [ordinal, entry] = retry;
  if (e.EventType === EventType.TaskFailed) {
    // The SDK waits on a retry timer it numbers next; the host creates that timer with the same id.
    const timerId = book.nextId++;
    const fireAt = new Date(now.getTime() + retryDelayMs(entry.options, entry.attempt)).toISOString();
    book.retries[ordinal] = { ...entry, timerId };
    book.timers[timerId] = fireAt;
    out.timers.push({ instanceId: record.instanceId, executionId: record.executionId, timerId, fireAt });
    return [{ ...e, IsPlayed: false }, event(EventType.TimerCreated, { EventId: timerId, FireAt: fireAt }, now)];
  }
  // The retry timer fired: the SDK schedules the next attempt if any are left.
  delete book.timers[e.TimerId as number];
  const attempt = entry.attempt + 1;
  if (attempt > entry.options.maxNumberOfAttempts) {
    delete book.retries[ordinal];
    return [{ ...e, IsPlayed: false }];
  }
  const taskId = book.nextId++;
  book.retries[ordinal] = { ...entry, attempt, taskId, timerId: undefined };
  out.activities.push({ instanceId: record.instanceId, executionId: record.executionId, taskId, name: entry.name, input: entry.input });
  return [{ ...e, IsPlayed: false }, event(EventType.TaskScheduled, { EventId: taskId, Name: entry.name }, now)];
}

/**
 * Gives the episode's new actions their ids, schedules them, and sets the outcome; returns the
 * events it decided. `history` is the execution's history up to this episode's incoming events.
 *
 * An orchestrator that returns (or throws, or continues as new) while a timer it did not cancel
 * or an activity is still outstanding does not finish yet: the Durable Task framework completes
 * an orchestration only once it has no open tasks (`TaskOrchestrationExecutor`, `HasOpenTasks`),
 * so the instance stays Running, with no output, until they fire or complete and a replay
 * returns again (durabletask #155, durable-extension #1377). `held` says so.
 */
export function applyEpisode(
  record: InstanceRecord,
  result: EpisodeResult,
  now: Date,
  out: Outbound,
  history: HistoryEvent[] = [],
): { decided: HistoryEvent[]; held: boolean } {
  const decided: HistoryEvent[] = [];
  const book = record.book;
  const unsupported = unsupportedAction(result.actions);
  if (unsupported && !result.error) {
    result = {
      ...result,
      isDone: true,
      error: `Action type ${ActionType[unsupported.actionType] ?? unsupported.actionType} is not supported by the local host.`,
    };
  }
  idTakingActions(result.actions).forEach((action, ordinal) => {
    const known = book.ordinalIds[ordinal];
    if (known !== undefined) {
      if (action.actionType === ActionType.CreateTimer && action.isCanceled && book.timers[known] !== undefined) {
        delete book.timers[known];
        out.cancelledTimers.push(known);
      }
      return;
    }
    const id = book.nextId++;
    book.ordinalIds[ordinal] = id;
    // The extension replays every action it is handed, a returning episode's too (they then keep
    // it open); a failed one's are not run: the instance fails (an unsupported action among them).
    if (result.error === undefined) decided.push(...schedule(record, action, ordinal, id, now, out));
  });
  // The host's own refusal (an unsupported action) fails at once: Azure would have run the action.
  const finishing = result.isDone || result.error !== undefined;
  if (finishing && !unsupported && hasOpenTasks(record, [...history, ...decided])) return { decided, held: true };
  if (result.error !== undefined) {
    record.runtimeStatus = 'Failed';
    record.output = JSON.stringify(result.error);
    decided.push(event(EventType.ExecutionFailed, { Reason: result.error }, now));
  } else if (result.isDone && !result.actions.some((a) => a.actionType === ActionType.ContinueAsNew)) {
    record.runtimeStatus = 'Completed';
    record.output = result.output ?? 'null';
    decided.push(event(EventType.ExecutionCompleted, { Result: record.output }, now));
  }
  return { decided, held: false };
}

/** A timer not fired nor cancelled (retry timers included), or an activity scheduled and not answered. */
export function hasOpenTasks(record: InstanceRecord, history: HistoryEvent[]): boolean {
  if (Object.keys(record.book.timers).length > 0) return true;
  const open = new Set<number>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled) open.add(e.EventId);
    else if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) open.delete(e.TaskScheduledId ?? -1);
  }
  return open.size > 0;
}

function schedule(record: InstanceRecord, action: Action, ordinal: number, id: number, now: Date, out: Outbound): HistoryEvent[] {
  const base = { instanceId: record.instanceId, executionId: record.executionId };
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const name = action.functionName ?? '';
      const input = activityInput(action.input);
      if (action.actionType === ActionType.CallActivityWithRetry && action.retryOptions) {
        record.book.retries[ordinal] = { attempt: 1, taskId: id, name, input, options: action.retryOptions };
      }
      out.activities.push({ ...base, taskId: id, name, input });
      return [event(EventType.TaskScheduled, { EventId: id, Name: name }, now)];
    }
    case ActionType.CreateTimer: {
      const fireAt = new Date(action.fireAt ?? now).toISOString();
      if (action.isCanceled) return [];
      record.book.timers[id] = fireAt;
      out.timers.push({ ...base, timerId: id, fireAt });
      return [event(EventType.TimerCreated, { EventId: id, FireAt: fireAt }, now)];
    }
    default:
      return [];
  }
}

/** Every running timer of the instance is moot (it finished or continued as new). */
export function cancelAllTimers(record: InstanceRecord, out: Outbound): void {
  out.cancelledTimers.push(...Object.keys(record.book.timers).map(Number));
  record.book.timers = {};
}

/** The retryable activity a TaskFailed or a retry TimerFired belongs to, by ordinal. */
export function retryEntry(book: Bookkeeping | undefined, e: HistoryEvent): [number, RetryEntry] | undefined {
  if (!book) return undefined;
  for (const [ordinal, raw] of Object.entries(book.retries)) {
    const entry: RetryEntry = raw;
    if (e.EventType === EventType.TaskFailed && entry.taskId === e.TaskScheduledId) return [Number(ordinal), entry];
    if (e.EventType === EventType.TimerFired && entry.timerId !== undefined && entry.timerId === e.TimerId) return [Number(ordinal), entry];
  }
  return undefined;
}

/** Whether a result answers a task this execution scheduled. */
export function isOpenTask(record: InstanceRecord, history: HistoryEvent[], taskId: number | undefined): boolean {
  if (taskId === undefined) return false;
  return history.some((h) => h.EventType === EventType.TaskScheduled && h.EventId === taskId) || record.book.ordinalIds.includes(taskId);
}

/** The SDK JSON-encodes string inputs in the action; activities get the value back. */
function activityInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
