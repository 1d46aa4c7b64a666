// The gateway's port over the durable-functions v3 client. The client's quirks, stated in types
// instead of left to each caller (docs/architecture.md#adapters):
// - getStatus throws a plain Error for an unknown id (HTTP 404) → `inspect` answers undefined;
// - getStatus includes the input unless told not to, and on Azure a large input is a blob download
//   → `inspect` reads without it, `inspectWithInput` only where the input is used;
// - raiseEvent and terminate resolve silently on HTTP 410 (instance already finished), so an
//   event or a cancel can vanish (docs/field-notes.md#n5) → `terminate` looks at the status first
//   and says `finished`; `raiseReply`'s caller has just looked and confirms afterwards;
// - waitForCompletionOrCreateCheckStatusResponse answers mixed shapes (docs/field-notes.md#n1): 200 for
//   both a completed and a terminated instance (the output, or the whole status), 500 with the
//   whole status for a failure, 202 full of management URLs while running → `waitForState` looks
//   through it and `stateOfWaitAnswer` turns each of its answers into a RequestState;
// - no status read of the SDK's ever sends `showInput=false` (see durable-clients.ts) → the
//   client's reads leave the input out unless `showInput=true` is asked for.
import type { HttpRequest, HttpResponse } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { type GatewayRequest, ORCHESTRATOR_NAME, REPLY_EVENT_NAME, type ReplyEnvelope } from './contract.js';
import { leanManagementCalls, readsWithoutInput, steadyKeepAlive } from './durable-clients.js';
import { watchCompletion } from './replies/local-completions.js';
import { classifyRequest, type FinalState, type InstanceSnapshot, isFinal, type RequestState } from './request-state.js';
import { holdWaiter, safetyPollGapMs, waitersHere } from './safety-poll.js';

export type RaiseResult = { result: 'raised' } | { result: 'notFound' };
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

/** The adapter's one mapping of a Durable status; the console's listing reads through it too. */
export function snapshotOf(status: DurableOrchestrationStatus): InstanceSnapshot {
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

const PENDING: RequestState = { kind: 'pending' };

/** What the answer's body is when it is the instance's status rather than its output. */
function isStatusBody(body: unknown, id: string): body is DurableOrchestrationStatus {
  if (typeof body !== 'object' || body === null) return false;
  const fields = body as Record<string, unknown>;
  return fields.instanceId === id && typeof fields.runtimeStatus === 'string';
}

/**
 * The request's state from one answer of `waitForCompletionOrCreateCheckStatusResponse`: 202 (not
 * finished: which stage is not the waiting caller's business), 500 with the status (Failed), 200
 * with the status (Terminated, Canceled) or with the output (Completed). The orchestrator's output
 * (`{ outcome, reply }`) never carries `instanceId` and `runtimeStatus`, so the two 200s cannot be
 * taken for each other. Anything else is the SDK changing under us, said as such.
 */
export function stateOfWaitAnswer(status: number, body: unknown, id: string): RequestState {
  if (status === 202) return PENDING;
  if (status === 500 && isStatusBody(body, id)) return classifyRequest({ ...snapshotOf(body), runtimeStatus: 'Failed' });
  if (status === 200) {
    if (isStatusBody(body, id)) return classifyRequest(snapshotOf(body));
    return classifyRequest({ runtimeStatus: 'Completed', output: body, customStatus: undefined });
  }
  throw new Error(
    `waitForCompletionOrCreateCheckStatusResponse answered HTTP ${status} for instance '${id}', which the gateway does not know`,
  );
}

async function bodyOf(response: HttpResponse): Promise<unknown> {
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export interface WaitOptions {
  timeoutMs: number;
  /** GATEWAY_POLL_INTERVAL_MS: the base of the safety poll's backoff (safety-poll.ts). */
  pollIntervalMs: number;
  /**
   * Read at once rather than after the first gap: the instance existed before this call (an
   * Idempotency-Key reused) and may have finished already, with no signal left to come.
   */
  lookFirst: boolean;
}

export class GatewayDurable {
  constructor(private readonly client: DurableClientLike) {
    readsWithoutInput(leanManagementCalls(steadyKeepAlive(client)));
  }

  /** The status without the input (`input` is null): every reader that does not use it. */
  inspect(id: string): Promise<InstanceSnapshot | undefined> {
    return this.read(id, false);
  }

  /** The status with the request as started: the status resource and the idempotency check. */
  inspectWithInput(id: string): Promise<InstanceSnapshot | undefined> {
    return this.read(id, true);
  }

  private async read(id: string, showInput: boolean): Promise<InstanceSnapshot | undefined> {
    try {
      return snapshotOf(await this.client.getStatus(id, { showInput }));
    } catch (error) {
      if (isNotFound(error, id)) return undefined;
      throw error;
    }
  }

  async start(request: GatewayRequest): Promise<void> {
    await this.client.startNew(ORCHESTRATOR_NAME, { instanceId: request.id, input: request });
  }

  /**
   * Waits for the request to finish, woken by the in-process completion signal
   * (replies/local-completions.ts), whose state is the answer without another read. The status is
   * read only as a backed-off safety net within the process's read budget (safety-poll.ts), and
   * once more at the deadline. Each look is one `waitForCompletionOrCreateCheckStatusResponse`
   * with no time of its own (one status read without the input, then its answer; an unknown id
   * throws, as it always did): the gap between looks is the safety poll's, not the helper's.
   */
  async waitForState(id: string, request: HttpRequest, o: WaitOptions): Promise<RequestState> {
    const deadline = Date.now() + o.timeoutMs;
    // Subscribed before any read, so a signal during a read is not missed.
    const watch = watchCompletion(id);
    const release = holdWaiter();
    try {
      for (let look = 0; ; look++) {
        if (look > 0 || o.lookFirst) {
          const answer = await this.client.waitForCompletionOrCreateCheckStatusResponse(request, id, {
            timeoutInMilliseconds: 0,
            retryIntervalInMilliseconds: 0,
          });
          const state = stateOfWaitAnswer(answer.status, answer.status === 202 ? undefined : await bodyOf(answer), id);
          if (isFinal(state)) return state;
          // Not finished at the deadline: the stage is not the caller's business.
          if (Date.now() >= deadline) return PENDING;
        }
        if (watch.state !== undefined) return watch.state;
        // A zero-length gap still ends in one read, at the deadline.
        const gap = safetyPollGapMs(look, o.pollIntervalMs, waitersHere());
        await watch.nap(Math.max(1, Math.min(gap, deadline - Date.now())));
        if (watch.state !== undefined) return watch.state;
      }
    } finally {
      release();
      watch.stop();
    }
  }

  /**
   * Raises the reply event. The caller looked at the instance just before; a 410 (finished
   * meanwhile) still resolves, so the caller confirms delivery afterwards (replies/delivery.ts).
   */
  async raiseReply(id: string, reply: ReplyEnvelope): Promise<RaiseResult> {
    try {
      await this.client.raiseEvent(id, REPLY_EVENT_NAME, reply);
    } catch (error) {
      if (isNotFound(error, id)) return { result: 'notFound' };
      throw error;
    }
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
