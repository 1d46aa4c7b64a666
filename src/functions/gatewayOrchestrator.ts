// The orchestrator: dispatch the request, then wait for the reply event or the deadline,
// whichever comes first. It replays, so it must stay deterministic: time comes only from
// currentUtcDateTime, and no I/O happens here (the claim-check activity reads storage for it).

import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import * as df from 'durable-functions';
import {
  CHECK_CLAIM_ACTIVITY_NAME,
  type ClaimCheckQuestion,
  type ClaimCheckVerdict,
  DISPATCH_ACTIVITY_NAME,
  type GatewayCustomStatus,
  type GatewayRequest,
  isClaimCheckFor,
  ORCHESTRATOR_NAME,
  type OrchestratorOutput,
  REPLY_EVENT_NAME,
  type ReplyEnvelope,
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
  let timer = context.df.createTimer(deadline);
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
    // one the gateway made for this request, or not there as described, is refused, and the
    // request keeps waiting for its real reply. The count is visible in the status; the event
    // itself stays in the history.
    let refusal: string | undefined;
    try {
      refusal = yield* refusalOf(context, request, reply.result);
    } catch (error) {
      // The check itself failed (storage down past the retries): loudly, with no live timer (n7).
      if (!timer.isCompleted) timer.cancel();
      throw error;
    }
    if (refusal === undefined) {
      // Without this the pending timer keeps the instance Running until the deadline (docs/field-notes.md#n7).
      // A timer that fired while the claim check was being confirmed cannot be cancelled; the
      // reply still came first, so it answers.
      if (!timer.isCompleted) timer.cancel();
      return { outcome: 'replied', reply: reply.result } satisfies OrchestratorOutput;
    }
    if (!context.df.isReplaying) context.warn(`request ${request.id}: refused a reply event: ${refusal}`);
    stage({ stage: 'AwaitingReply', since: waitingSince.toISOString(), deadline: deadline.toISOString(), refusedReplies: refused + 1 });
    // The deadline may have passed while the claim check was looked at. A Task.any built over a
    // timer that already fired never completes in this SDK (a task tells only the parent it had
    // when it completed), so that case is decided here, not by the next Task.any.
    if (timer.isCompleted) return { outcome: 'timedOut' } satisfies OrchestratorOutput;
    // Nor may the next Task.any reuse the timer: the extension schedules every action it is
    // handed, so that timer's action handed again becomes a second timer whose id the SDK never
    // gave out, and every task after it (the next claim-check activity) is answered under an id
    // the SDK does not wait on. A fresh timer for the same deadline keeps the ids in step.
    timer.cancel();
    timer = context.df.createTimer(deadline);
    reply = context.df.waitForExternalEvent(REPLY_EVENT_NAME);
  }
};

// Storage hiccups should not fail a request whose genuine reply is waiting: a few retries, ~7 s in all.
const CLAIM_CHECK_RETRY = Object.assign(new df.RetryOptions(1_000, 4), { backoffCoefficient: 2 });

/**
 * Why a reply may not answer this request, or undefined when it may. Inline replies carry their
 * body and need nothing; a claim check must pass the rule the orchestrator can decide itself
 * (container and name), then the activity's look at storage (that ETag, that size), so the
 * common inline path costs no activity.
 */
function* refusalOf(
  context: OrchestrationContext,
  request: GatewayRequest,
  reply: ReplyEnvelope,
): Generator<Task, string | undefined, unknown> {
  const ref = reply.ref;
  if (ref === undefined) return undefined;
  if (!isClaimCheckFor(ref, request)) return 'its claim check points elsewhere';
  const question: ClaimCheckQuestion = { requestId: request.id, ref };
  const verdict = (yield context.df.callActivityWithRetry(CHECK_CLAIM_ACTIVITY_NAME, CLAIM_CHECK_RETRY, question)) as ClaimCheckVerdict;
  return verdict.held ? undefined : `its claim check is not there as described (${verdict.reason})`;
}

df.app.orchestration(ORCHESTRATOR_NAME, gatewayOrchestrator);
