// What the console lists: the requests pending now and those that finished recently, read with the
// Durable client's filtered listing and classified by request-state.ts like every other answer, so
// the console can never show a request in a state the status resource would not report.
import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { isGatewayCustomStatus, isGatewayRequest } from '../contract-guards.js';
import { snapshotOf } from '../durable-port.js';
import { classifyRequest, type InstanceSnapshot, isFinal } from '../request-state.js';
import { type CallerStatus, callerStatus } from '../status.js';

/** How far back "recently answered" reaches, by creation time (the listing filters on that). */
export const RECENT_MINUTES = 15;
/** The most finished requests shown; the newest first. */
export const RECENT_LIMIT = 50;

export interface PendingRow {
  id: string;
  operation: string;
  mode: 'sync' | 'async';
  status: CallerStatus;
  createdAt: string;
  ageMs: number;
  /** When the orchestrator stops waiting, once it waits (its custom status). */
  deadline?: string;
}

export interface FinishedRow {
  id: string;
  operation: string;
  mode: 'sync' | 'async';
  status: CallerStatus;
  /** The backend's HTTP status, for answered requests. */
  httpStatus?: number;
  createdAt: string;
  finishedAt: string;
  /** Submitted → finished, on the Durable clock (whole seconds on Azure Storage). */
  latencyMs: number;
}

export interface RequestLists {
  now: string;
  pending: PendingRow[];
  finished: FinishedRow[];
  recentMinutes: number;
}

const NOT_FINISHED = [
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Suspended,
  OrchestrationRuntimeStatus.ContinuedAsNew,
];
// Not `Canceled`: no current backend produces it (a cancel is a terminate), and the local host
// refuses it in a filter.
const FINISHED = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

export type ListingClient = Pick<DurableClient, 'getStatusBy'>;

async function listSnapshots(client: ListingClient, runtimeStatus: OrchestrationRuntimeStatus[], from?: Date): Promise<InstanceSnapshot[]> {
  // The operation and mode live in the input: asked for explicitly rather than left to the
  // extension's default for list queries (the SDK forwards `showInput` from the filter object).
  const filter = { runtimeStatus, showInput: true, ...(from !== undefined ? { createdTimeFrom: from } : {}) };
  return (await client.getStatusBy(filter)).map(snapshotOf);
}

function deadlineOf(customStatus: unknown): string | undefined {
  return isGatewayCustomStatus(customStatus) && typeof customStatus.deadline === 'string' ? customStatus.deadline : undefined;
}

/** Pure: the rows for snapshots read at `now`. Instances that are not gateway requests are left out. */
export function requestLists(pendingSnapshots: InstanceSnapshot[], finishedSnapshots: InstanceSnapshot[], now: Date): RequestLists {
  const pending: PendingRow[] = [];
  const finished: FinishedRow[] = [];
  for (const snapshot of [...pendingSnapshots, ...finishedSnapshots]) {
    const request = snapshot.input;
    if (!isGatewayRequest(request)) continue;
    const state = classifyRequest(snapshot);
    const common = {
      id: snapshot.id,
      operation: request.operation,
      mode: request.waitMode,
      status: callerStatus(state),
      createdAt: request.createdAt,
    };
    const created = Date.parse(request.createdAt);
    if (!isFinal(state)) {
      const deadline = deadlineOf(snapshot.customStatus);
      pending.push({ ...common, ageMs: Math.max(0, now.getTime() - created), ...(deadline !== undefined ? { deadline } : {}) });
      continue;
    }
    const row: FinishedRow = {
      ...common,
      finishedAt: snapshot.updatedAt,
      // Both ends from the instance's own times: the management API gives them in whole seconds
      // (as the extension does), so against the request's millisecond createdAt the latency would
      // come out up to a second short, often 0.
      latencyMs: Math.max(0, Date.parse(snapshot.updatedAt) - Date.parse(snapshot.createdAt)),
    };
    if (state.kind === 'answered') row.httpStatus = state.reply.status;
    finished.push(row);
  }
  // A request can move between the two reads: the later read (finished) wins.
  const finishedIds = new Set(finished.map((r) => r.id));
  const stillPending = pending.filter((r) => !finishedIds.has(r.id));
  stillPending.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  finished.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
  return { now: now.toISOString(), pending: stillPending, finished: finished.slice(0, RECENT_LIMIT), recentMinutes: RECENT_MINUTES };
}

export async function readRequestLists(client: ListingClient, now: () => Date = () => new Date()): Promise<RequestLists> {
  const pending = await listSnapshots(client, NOT_FINISHED);
  const since = new Date(now().getTime() - RECENT_MINUTES * 60_000);
  const finished = await listSnapshots(client, FINISHED, since);
  return requestLists(pending, finished, now());
}
