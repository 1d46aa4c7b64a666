// Golden-history replay harness: runs an orchestrator the way durable-functions' own
// registration does (createOrchestrator wraps the generator in the SDK's listener) over a
// history array, and returns the OrchestratorState it emits.

import { createRequire } from 'node:module';
import { InvocationContext } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';

const requireFromHere = createRequire(__filename);
// The same helper `df.app.orchestration` uses; not exported from the package root.
const { createOrchestrator } = requireFromHere('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator: (fn: OrchestrationHandler) => (trigger: unknown, context: InvocationContext) => Promise<unknown>;
};

export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

export const ActionType = { CallActivity: 0, CallActivityWithRetry: 1, CreateTimer: 5, WaitForExternalEvent: 6, WhenAny: 11 } as const;

export type HistoryEvent = Record<string, unknown> & { EventType: number };

export function event(type: number, at: Date, fields: Record<string, unknown> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: at.toISOString(), ...fields };
}

export interface OrchestratorState {
  isDone: boolean;
  actions: Array<Array<Record<string, unknown>>>;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** One episode: a fresh context and a deep copy of the history, as a real host gives. */
export async function runEpisode(
  orchestrator: OrchestrationHandler,
  history: HistoryEvent[],
  input: unknown,
  instanceId = 'req-1',
): Promise<OrchestratorState> {
  const trigger = {
    history: JSON.parse(JSON.stringify(history)) as unknown,
    input,
    instanceId,
    isReplaying: history.some((e) => e.IsPlayed === true),
    parentInstanceId: undefined,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    // Schema V3 needs both; a large maximum keeps timers plain (no LongTimerTask chains).
    maximumShortTimerDuration: '6.00:00:00',
    longRunningTimerIntervalDuration: '3.00:00:00',
  };
  const context = new InvocationContext({ invocationId: 'test', functionName: 'orchestrator', logHandler: () => undefined });
  const state = await createOrchestrator(orchestrator)(trigger, context);
  return JSON.parse(JSON.stringify(state)) as OrchestratorState;
}

/** Marks the history of earlier episodes as played, as a host resends it. */
export function played(history: HistoryEvent[]): HistoryEvent[] {
  return history.map((e) => ({ ...e, IsPlayed: true }));
}
