// The gateway's port over the durable-functions v3 client. The client's quirks, stated in types
// instead of left to each caller (docs/architecture.md#adapters):
// - getStatus throws a plain Error for an unknown id (HTTP 404) → `inspect` answers undefined;
// - raiseEvent and terminate resolve silently on HTTP 410 (instance already finished), so an
//   event or a cancel can vanish (docs/field-notes.md#n5) → both look at the status first and say
//   `late` / `finished` instead;
// - waitForCompletionOrCreateCheckStatusResponse answers mixed shapes (docs/field-notes.md#n1): 200 for
//   both a completed and a terminated instance, 500 with the whole status for a failure, 202 full
//   of management URLs while running → `waitForState` returns a RequestState, never its body.
import type { HttpRequest } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { type GatewayRequest, ORCHESTRATOR_NAME, REPLY_EVENT_NAME, type ReplyEnvelope } from './contract.js';
import { completedOrTimeout } from './replies/local-completions.js';
import { classifyRequest, type FinalState, type InstanceSnapshot, isFinal, type RequestState } from './request-state.js';

export type RaiseResult = { result: 'raised' } | { result: 'notFound' } | { result: 'late'; state: FinalState };
export type TerminateResult = { result: 'terminated' } | { result: 'notFound' } | { result: 'finished'; state: FinalState };

/** The slice of DurableClient the gateway uses (lets tests hand in a fake). */
export type DurableClientLike = Pick<
  DurableClient,
  'getStatus' | 'startNew' | 'raiseEvent' | 'terminate' | 'waitForCompletionOrCreateCheckStatusResponse'
>;

function isNotFound(error: unknown, instanceId: string): boolean {
  const message = error instanceof Error ? error.message : '';
  // getStatus: "...replied with HTTP 404 response..."; raiseEvent/terminate: "No instance with ID '<id>' found."
  return message.includes('HTTP 404') || message.includes(`No instance with ID '${instanceId}' found`);
}

function snapshotOf(status: DurableOrchestrationStatus): InstanceSnapshot {
  const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : String(d));
  return {
    id: status.instanceId,
    runtimeStatus: String(status.runtimeStatus),
    input: status.input,
    output: status.output,
    customStatus: status.customStatus,
    createdAt: iso(status.createdTime),
    updatedAt: iso(status.lastUpdatedTime),
  };
}

function isStatusObject(body: unknown): body is { runtimeStatus: string; output?: unknown } {
  return typeof body === 'object' && body !== null && typeof (body as { runtimeStatus?: unknown }).runtimeStatus === 'string';
}

/** Reads the mixed shapes of `waitForCompletionOrCreateCheckStatusResponse` (status + JSON body). */
export function stateOfWaitResponse(httpStatus: number, body: unknown): RequestState {
  // 202 says only "not finished"; the stage is not in it, and no caller of the wait needs it.
  if (httpStatus === 202) return classifyRequest({ runtimeStatus: 'Running', output: null, customStatus: null });
  if (httpStatus === 500) return classifyRequest({ runtimeStatus: 'Failed', output: null, customStatus: null });
  if (httpStatus === 200) {
    // Completed answers the raw output; Terminated/Canceled answer the status object. Gateway
    // outputs never carry `runtimeStatus`, so the two cannot be confused.
    const status = isStatusObject(body) ? body : { runtimeStatus: 'Completed', output: body };
    return classifyRequest({ runtimeStatus: status.runtimeStatus, output: status.output, customStatus: null });
  }
  throw new Error(`waitForCompletionOrCreateCheckStatusResponse answered HTTP ${httpStatus}`);
}

export class GatewayDurable {
  constructor(private readonly client: DurableClientLike) {}

  async inspect(id: string): Promise<InstanceSnapshot | undefined> {
    try {
      return snapshotOf(await this.client.getStatus(id, { showInput: true }));
    } catch (error) {
      if (isNotFound(error, id)) return undefined;
      throw error;
    }
  }

  async start(request: GatewayRequest): Promise<void> {
    await this.client.startNew(ORCHESTRATOR_NAME, { instanceId: request.id, input: request });
  }

  /**
   * Waits with `waitForCompletionOrCreateCheckStatusResponse`, one poll interval at a time, so
   * that a completion signalled in this process (replies/local-completions.ts) ends the wait at once
   * instead of at the next poll. The client's own loop can't be cancelled, hence the slices.
   */
  async waitForState(httpRequest: HttpRequest, id: string, timeoutMs: number, pollIntervalMs: number): Promise<RequestState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A zero-length slice still reads the status once.
      const slice = Math.max(1, Math.min(pollIntervalMs, deadline - Date.now()));
      const signal = completedOrTimeout(id, slice);
      const response = await this.client.waitForCompletionOrCreateCheckStatusResponse(httpRequest, id, {
        timeoutInMilliseconds: 1,
        retryIntervalInMilliseconds: 1,
      });
      // The 202 body is the management payload: never read, never forwarded.
      if (response.status !== 202) return stateOfWaitResponse(response.status, await response.json());
      if (Date.now() >= deadline) return stateOfWaitResponse(202, undefined);
      await signal;
    }
  }

  async raiseReply(id: string, reply: ReplyEnvelope): Promise<RaiseResult> {
    const instance = await this.inspect(id);
    if (instance === undefined) return { result: 'notFound' };
    const state = classifyRequest(instance);
    if (isFinal(state)) return { result: 'late', state };
    try {
      await this.client.raiseEvent(id, REPLY_EVENT_NAME, reply);
    } catch (error) {
      if (isNotFound(error, id)) return { result: 'notFound' };
      throw error;
    }
    // A 410 between the look and the raise still resolves; callers confirm delivery afterwards.
    return { result: 'raised' };
  }

  async terminate(id: string, reason: string): Promise<TerminateResult> {
    const instance = await this.inspect(id);
    if (instance === undefined) return { result: 'notFound' };
    const state = classifyRequest(instance);
    if (isFinal(state)) return { result: 'finished', state };
    try {
      await this.client.terminate(id, reason);
    } catch (error) {
      if (isNotFound(error, id)) return { result: 'notFound' };
      throw error;
    }
    return { result: 'terminated' };
  }
}
