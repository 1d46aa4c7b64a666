// Every way a Durable instance can end, mapped to HTTP by the gateway itself (field note #1):
// `waitForCompletionOrCreateCheckStatusResponse` answers 200 for both a completed and a
// terminated instance, 500 with the whole status object for a failure and a 202 full of
// management URLs on timeout. None of those bodies may reach a caller (field note #2).
import { TERMINATE_REASON_SYNC_EXPIRED, type ReplyEnvelope } from './contract.js';
import { isOrchestratorOutput } from './contract-guards.js';
import { GatewayError } from './errors.js';

/** The part of a Durable status the gateway reads; built by the DurableClient adapter. */
export interface InstanceSnapshot {
  id: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdAt: string;
  updatedAt: string;
}

export type DurableOutcome =
  | { kind: 'running' }
  | { kind: 'completed'; output: unknown }
  | { kind: 'terminated'; reason: string }
  | { kind: 'canceled' }
  | { kind: 'failed' };

export function outcomeOfRuntime(runtimeStatus: string, output: unknown): DurableOutcome {
  switch (runtimeStatus) {
    case 'Completed':
      return { kind: 'completed', output };
    case 'Terminated':
      // The runtime stores the terminate reason as the output.
      return { kind: 'terminated', reason: typeof output === 'string' ? output : '' };
    case 'Canceled':
      return { kind: 'canceled' };
    case 'Failed':
      return { kind: 'failed' };
    default:
      // Pending, Running, Suspended, ContinuedAsNew and anything a newer runtime invents: the
      // request is not over, so callers keep waiting rather than see a made-up final state.
      return { kind: 'running' };
  }
}

function isStatusObject(body: unknown): body is { runtimeStatus: string; output?: unknown } {
  return typeof body === 'object' && body !== null && typeof (body as { runtimeStatus?: unknown }).runtimeStatus === 'string';
}

/** Reads the mixed shapes of `waitForCompletionOrCreateCheckStatusResponse` (status + JSON body). */
export function outcomeOfWaitResponse(httpStatus: number, body: unknown): DurableOutcome {
  if (httpStatus === 202) return { kind: 'running' };
  if (httpStatus === 500) return { kind: 'failed' };
  if (httpStatus === 200) {
    // Completed answers the raw output; Terminated/Canceled answer the status object. Gateway
    // outputs never carry `runtimeStatus`, so the two cannot be confused.
    return isStatusObject(body) ? outcomeOfRuntime(body.runtimeStatus, body.output) : { kind: 'completed', output: body };
  }
  throw new Error(`waitForCompletionOrCreateCheckStatusResponse answered HTTP ${httpStatus}`);
}

export type HttpOutcome =
  | { kind: 'reply'; reply: ReplyEnvelope }
  /** Not finished: a sync caller terminates and answers 504, an async caller answers 202. */
  | { kind: 'pending' }
  | { kind: 'problem'; error: GatewayError };

export function mapOutcome(outcome: DurableOutcome, requestId: string): HttpOutcome {
  const problem = (error: GatewayError): HttpOutcome => ({ kind: 'problem', error });
  switch (outcome.kind) {
    case 'running':
      return { kind: 'pending' };
    case 'completed': {
      const output = outcome.output;
      if (!isOrchestratorOutput(output)) {
        return problem(new GatewayError('processing-failed', `Request ${requestId} ended without a usable result.`, { requestId }));
      }
      if (output.outcome === 'replied') return { kind: 'reply', reply: output.reply };
      return problem(new GatewayError('reply-timed-out', `The backend did not reply to request ${requestId} before its deadline.`, { requestId }));
    }
    case 'terminated':
    case 'canceled':
      // Only the starter's own expiry terminates with that reason; any other termination (a
      // caller's DELETE, an operator) is a cancellation: 409, the request conflicts with its state.
      if (outcome.kind === 'terminated' && outcome.reason === TERMINATE_REASON_SYNC_EXPIRED) {
        return problem(syncWaitExpired(requestId));
      }
      return problem(new GatewayError('request-canceled', `Request ${requestId} was canceled before a reply arrived.`, { requestId }));
    case 'failed':
      return problem(new GatewayError('processing-failed', `The gateway could not process request ${requestId}.`, { requestId }));
  }
}

/** The 504 a sync caller gets when its wait runs out; the instance has been terminated. */
export function syncWaitExpired(requestId: string, stillPending = false): GatewayError {
  const detail = stillPending
    ? `No reply to request ${requestId} within the wait; it is still pending.`
    : `No reply to request ${requestId} within the wait; the request was abandoned.`;
  return new GatewayError('sync-wait-expired', detail, { requestId });
}
