/**
 * The history as `getStatus(showHistory=true)` shows it: folded and named the way the Durable
 * extension's client does it (`DurableClient.GetDurableOrchestrationStatusAsync`), not the raw
 * events the SDK replays. Event types are names; `OrchestratorStarted` / `OrchestratorCompleted`
 * are left out; a `TaskScheduled` is folded into its completion (which gains `FunctionName`,
 * `ScheduledTime` and the input); `ExecutionStarted` names the orchestrator as `FunctionName`;
 * results appear, parsed, only with `showHistoryOutput`.
 */
import { EventType, type HistoryEvent } from './history.js';
import { parseJson } from './orchestration-runner.js';

export interface HistoryViewOptions {
  showInput: boolean;
  showHistoryOutput: boolean;
}

type Row = Record<string, unknown>;

/** Fields this host keeps for itself (redelivery keys, replay flags) that the extension does not show. */
const INTERNAL = ['EventId', 'IsPlayed', 'MessageId'];

export function historyView(history: readonly HistoryEvent[], o: HistoryViewOptions): Row[] {
  const rows: (Row | undefined)[] = [];
  const scheduled = new Map<number, { index: number; event: HistoryEvent }>();
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    const row: Row = { ...e, EventType: EventType[e.EventType] ?? e.EventType };
    for (const key of INTERNAL) delete row[key];
    switch (e.EventType) {
      case EventType.TaskScheduled:
        scheduled.set(e.EventId, { index: rows.length, event: e });
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed: {
        const from = scheduled.get(e.TaskScheduledId ?? -1);
        if (from) {
          row.ScheduledTime = from.event.Timestamp;
          row.FunctionName = from.event.Name;
          if (o.showInput) row.Input = from.event.Input ?? null;
          rows[from.index] = undefined;
        }
        delete row.TaskScheduledId;
        if (e.EventType === EventType.TaskCompleted) showResult(row, o.showHistoryOutput);
        break;
      }
      case EventType.ExecutionStarted:
        row.FunctionName = e.Name;
        delete row.Name;
        break;
      case EventType.ExecutionCompleted:
      case EventType.ExecutionFailed:
        // The framework records every end as ExecutionCompleted with the status it ended in.
        row.EventType = 'ExecutionCompleted';
        row.OrchestrationStatus = e.EventType === EventType.ExecutionFailed ? 'Failed' : 'Completed';
        if (e.EventType === EventType.ExecutionFailed) {
          row.Result = JSON.stringify(e.Reason ?? null);
          delete row.Reason;
        }
        showResult(row, o.showHistoryOutput);
        break;
      case EventType.TimerFired:
        delete row.TimerId;
        break;
    }
    if (!o.showInput) delete row.Input;
    rows.push(row);
  }
  return rows.filter((r): r is Row => r !== undefined);
}

function showResult(row: Row, show: boolean): void {
  if (!show) delete row.Result;
  else row.Result = parseJson(typeof row.Result === 'string' ? row.Result : null) ?? null;
}
