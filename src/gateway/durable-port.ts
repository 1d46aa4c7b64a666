// The gateway's port over the durable-functions v3 client. The client's quirks, stated in types
// instead of left to each caller (style.md #6):
// - getStatus throws a plain Error for an unknown id (HTTP 404) → `inspect` answers undefined;
// - raiseEvent and terminate resolve silently on HTTP 410 (instance already finished), so an
//   event or a cancel can vanish (field note #5) → both look at the status first and say
//   `late` / `finished` instead;
// - waitForCompletionOrCreateCheckStatusResponse answers mixed shapes → `waitForOutcome`
//   returns a DurableOutcome, never its HttpResponse.
import type { HttpRequest } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { ORCHESTRATOR_NAME, REPLY_EVENT_NAME, type GatewayRequest, type ReplyEnvelope } from './contract.js';
import { completedOrTimeout } from './local-completions.js';
import { outcomeOfRuntime, outcomeOfWaitResponse, type DurableOutcome, type InstanceSnapshot } from './outcome.js';

export type RaiseResult = { result: 'raised' } | { result: 'notFound' } | { result: 'late'; instance: InstanceSnapshot };
export type TerminateResult = { result: 'terminated' } | { result: 'notFound' } | { result: 'finished'; instance: InstanceSnapshot };

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

export function isRunning(instance: InstanceSnapshot): boolean {
  return outcomeOfRuntime(instance.runtimeStatus, instance.output).kind === 'running';
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
   * that a completion signalled in this process (local-completions.ts) ends the wait at once
   * instead of at the next poll. The client's own loop can't be cancelled, hence the slices.
   */
  async waitForOutcome(httpRequest: HttpRequest, id: string, timeoutMs: number, pollIntervalMs: number): Promise<DurableOutcome> {
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
      if (response.status !== 202) return outcomeOfWaitResponse(response.status, await response.json());
      if (Date.now() >= deadline) return outcomeOfWaitResponse(202, undefined);
      await signal;
    }
  }

  async raiseReply(id: string, reply: ReplyEnvelope): Promise<RaiseResult> {
    const instance = await this.inspect(id);
    if (instance === undefined) return { result: 'notFound' };
    if (!isRunning(instance)) return { result: 'late', instance };
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
    if (!isRunning(instance)) return { result: 'finished', instance };
    try {
      await this.client.terminate(id, reason);
    } catch (error) {
      if (isNotFound(error, id)) return { result: 'notFound' };
      throw error;
    }
    return { result: 'terminated' };
  }
}
