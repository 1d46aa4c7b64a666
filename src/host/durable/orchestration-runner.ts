// One orchestration episode: the history handed to the SDK's own orchestrator listener, and what
// it decided (actions, custom status, completion) read back for the engine to commit.
import type { Invoker } from '../invoker.js';
import type { RegisteredFunction } from '../registry.js';
import { type Action, flattenActions } from './actions.js';
import type { HistoryEvent } from './history.js';

/** What one episode of an orchestrator decided. */
export interface EpisodeResult {
  isDone: boolean;
  actions: Action[];
  /** JSON text of the output (when done), or undefined. */
  output?: string;
  customStatus?: string;
  /** Set when the orchestrator threw: the message the status will carry. */
  error?: string;
}

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/**
 * Timers are never turned into chains of sub-timers (schema V3's LongTimerTask): the host's own
 * timers take any length, so the short-timer bound is set out of reach.
 */
const TIMER_SETTINGS = {
  maximumShortTimerDuration: '36500.00:00:00',
  longRunningTimerIntervalDuration: '3.00:00:00',
};

/** Runs one episode through the SDK's own listener (the registered orchestrator handler). */
export async function runEpisode(
  invoker: Invoker,
  fn: RegisteredFunction,
  instanceId: string,
  input: string | null | undefined,
  history: HistoryEvent[],
): Promise<EpisodeResult> {
  const bindingInfo = {
    // The SDK turns every "Timestamp" string into a Date in place: give it its own copy.
    history: structuredClone(history),
    input: parseJson(input),
    instanceId,
    isReplaying: history.some((e) => e.IsPlayed),
    parentInstanceId: undefined,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    ...TIMER_SETTINGS,
  };
  let state: Record<string, unknown>;
  try {
    // Class instances and Dates inside: a JSON round trip gives the wire shape the extension sees.
    state = JSON.parse(JSON.stringify(await invoker.invoke(fn, bindingInfo, { triggerMetadata: { instanceId } }))) as Record<
      string,
      unknown
    >;
  } catch (err) {
    return failedEpisode(err);
  }
  return toResult(state);
}

function toResult(state: Record<string, unknown>): EpisodeResult {
  const result: EpisodeResult = { isDone: state.isDone === true, actions: flattenActions(state.actions) };
  if (result.isDone) result.output = JSON.stringify(state.output ?? null);
  if (state.customStatus !== undefined) result.customStatus = JSON.stringify(state.customStatus);
  return result;
}

function failedEpisode(err: unknown): EpisodeResult {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.lastIndexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return { isDone: true, actions: [], error: message };
  const state = JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as Record<string, unknown>;
  const result = toResult(state);
  const reason = typeof state.error === 'string' ? state.error : message.slice(0, at).trim();
  return { ...result, isDone: true, output: undefined, error: reason };
}

export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
