// A request's state as an HTTP answer, decided by the gateway itself (docs/field-notes.md#n1): none of
// the bodies `waitForCompletionOrCreateCheckStatusResponse` would answer may reach a caller
// (docs/field-notes.md#n2), so the submit and result calls answer from the classified state instead.
import type { ReplyEnvelope } from './contract.js';
import { GatewayError } from './errors.js';
import type { RequestState } from './request-state.js';

export type HttpOutcome =
  | { kind: 'reply'; reply: ReplyEnvelope }
  /** Not finished: a sync caller terminates and answers 504, an async caller answers 202. */
  | { kind: 'pending' }
  | { kind: 'problem'; error: GatewayError };

export function mapOutcome(state: RequestState, requestId: string): HttpOutcome {
  const problem = (error: GatewayError): HttpOutcome => ({ kind: 'problem', error });
  switch (state.kind) {
    case 'pending':
    case 'awaitingReply':
    case 'suspended':
      return { kind: 'pending' };
    case 'answered':
      return { kind: 'reply', reply: state.reply };
    case 'timedOut':
      if (state.by === 'syncWait') return problem(syncWaitExpired(requestId));
      return problem(
        new GatewayError('reply-timed-out', `The backend did not reply to request ${requestId} before its deadline.`, { requestId }),
      );
    case 'canceled':
      // Any termination but the sync expiry (a caller's DELETE, an operator): 409, the request
      // conflicts with its state.
      return problem(new GatewayError('request-canceled', `Request ${requestId} was canceled before a reply arrived.`, { requestId }));
    case 'failed':
      return problem(
        state.noResult
          ? new GatewayError('processing-failed', `Request ${requestId} ended without a usable result.`, { requestId })
          : new GatewayError('processing-failed', `The gateway could not process request ${requestId}.`, { requestId }),
      );
  }
}

/** The 504 a sync caller gets when its wait runs out; the instance has been terminated. */
export function syncWaitExpired(requestId: string, stillPending = false): GatewayError {
  const detail = stillPending
    ? `No reply to request ${requestId} within the wait; it is still pending.`
    : `No reply to request ${requestId} within the wait; the request was abandoned.`;
  return new GatewayError('sync-wait-expired', detail, { requestId });
}
