/**
 * The actions an orchestrator episode returns, and how task ids follow from them.
 * The SDK numbers tasks itself (a sequence counter, in the order it tracks them) and matches
 * `TaskCompleted.TaskScheduledId` / `TimerFired.TimerId` against that number, so the host must
 * give each new action exactly the id the SDK gave it.
 */
export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
}

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface Action {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  retryOptions?: RetryOptions;
  compoundActions?: Action[];
}

const TAKES_ID = new Set<ActionType>([
  ActionType.CallActivity,
  ActionType.CallActivityWithRetry,
  ActionType.CallSubOrchestrator,
  ActionType.CallSubOrchestratorWithRetry,
  ActionType.CreateTimer,
  ActionType.CallEntity,
  ActionType.CallHttp,
  ActionType.SignalEntity,
]);

/** What the local host runs; anything else fails the orchestration with a clear reason. */
const SUPPORTED = new Set<ActionType>([
  ActionType.CallActivity,
  ActionType.CallActivityWithRetry,
  ActionType.ContinueAsNew,
  ActionType.CreateTimer,
  ActionType.WaitForExternalEvent,
  ActionType.WhenAny,
  ActionType.WhenAll,
]);

/** The episode's actions, compounds opened, in the order the SDK tracked them. */
export function flattenActions(actions: unknown): Action[] {
  const out: Action[] = [];
  const visit = (a: Action): void => {
    if (a.actionType === ActionType.WhenAny || a.actionType === ActionType.WhenAll) a.compoundActions?.forEach(visit);
    else out.push(a);
  };
  // The SDK returns `[[...actions]]` (one list per historical "episode" in schema V1).
  for (const group of Array.isArray(actions) ? actions : []) {
    for (const a of Array.isArray(group) ? group : [group]) visit(a as Action);
  }
  return out;
}

/** The actions that take a task id, in order: their index is the action's ordinal. */
export function idTakingActions(actions: Action[]): Action[] {
  return actions.filter((a) => TAKES_ID.has(a.actionType));
}

export function unsupportedAction(actions: Action[]): Action | undefined {
  return actions.find((a) => !SUPPORTED.has(a.actionType));
}

/** Delay before retry number `attempt` (1 = first retry), as the Durable Task framework computes it. */
export function retryDelayMs(options: RetryOptions, attempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, attempt - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap && cap > 0 ? Math.min(delay, cap) : delay;
}
