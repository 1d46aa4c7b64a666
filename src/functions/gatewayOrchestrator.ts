// The orchestrator: dispatch the request, then wait for the reply event or the deadline,
// whichever comes first. It replays, so it must stay deterministic: time comes only from
// currentUtcDateTime, and no I/O happens here.

import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';
import {
  DISPATCH_ACTIVITY_NAME,
  type GatewayCustomStatus,
  type GatewayRequest,
  isClaimCheckNameFor,
  ORCHESTRATOR_NAME,
  type OrchestratorOutput,
  REPLY_EVENT_NAME,
} from '../gateway/contract.js';
import { isReplyEnvelope } from '../gateway/contract-guards.js';

export const gatewayOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const request = context.df.getInput<GatewayRequest>();
  // The request's trace rides along (from the input, so replay sets the same status) for the reply intake.
  const stage = (status: GatewayCustomStatus) =>
    context.df.setCustomStatus(request.traceparent ? { ...status, traceparent: request.traceparent } : status);

  stage({ stage: 'Dispatching', since: context.df.currentUtcDateTime.toISOString() });
  yield context.df.callActivity(DISPATCH_ACTIVITY_NAME, request);

  const waitingSince = context.df.currentUtcDateTime;
  const deadline = new Date(waitingSince.getTime() + request.deadlineMs);
  stage({ stage: 'AwaitingReply', since: waitingSince.toISOString(), deadline: deadline.toISOString() });

  // A reply raised before this point is buffered by the SDK and wins at once (docs/field-notes.md#n6).
  let reply = context.df.waitForExternalEvent(REPLY_EVENT_NAME);
  const timer = context.df.createTimer(deadline);
  for (let refused = 0; ; refused++) {
    const winner: unknown = yield context.df.Task.any([reply, timer]);
    if (winner !== reply) return { outcome: 'timedOut' } satisfies OrchestratorOutput;
    // Only the gateway's reply functions raise this event (management URLs never leave the
    // app), so a bad payload is a bug: fail loudly rather than answer with it.
    if (!isReplyEnvelope(reply.result)) {
      // Cancelled first: on Azure a failure with a live timer stays Running until the deadline (docs/field-notes.md#n7).
      timer.cancel();
      throw new Error('reply event payload is not a ReplyEnvelope');
    }
    // But the management API is reachable by whoever holds its key: a claim check that is not
    // one the gateway makes for this request is refused, and the request keeps waiting for its
    // real reply. The count is visible in the status; the event itself stays in the history.
    const ref = reply.result.ref;
    if (ref === undefined || isClaimCheckNameFor(ref.blobName, request.id)) {
      // Without this the pending timer keeps the instance Running until the deadline (docs/field-notes.md#n7).
      timer.cancel();
      return { outcome: 'replied', reply: reply.result } satisfies OrchestratorOutput;
    }
    if (!context.df.isReplaying) context.warn(`request ${request.id}: refused a reply event whose claim check points elsewhere`);
    stage({ stage: 'AwaitingReply', since: waitingSince.toISOString(), deadline: deadline.toISOString(), refusedReplies: refused + 1 });
    reply = context.df.waitForExternalEvent(REPLY_EVENT_NAME);
  }
};

df.app.orchestration(ORCHESTRATOR_NAME, gatewayOrchestrator);
