// The spans and measurements of one request, as thin calls for the functions: submit (the caller's
// call), dispatch (the activity handing it to the backend), reply (the intake of the backend's
// answer) and answer (the response carrying the reply). They run in different invocations, often
// on different instances, so the trace travels with the request: the submit span's traceparent is
// stored in the orchestration input (GatewayRequest.traceparent), the orchestrator copies it into
// its custom status (which the reply intake and the result call read anyway), and the dispatch
// span's traceparent goes to the backend (request blob metadata `traceparent`; Service Bus
// application properties `traceparent` and `Diagnostic-Id`). A reply's own valid traceparent in
// the same trace becomes the intake span's parent, so the backend's spans sit between dispatch and
// reply; one from another trace is linked; a malformed one is ignored.
//
// With telemetry off every call here is a branch and a direct call of the wrapped work.
import type { HttpRequest, InvocationContext } from '@azure/functions';
import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { DurableClient } from 'durable-functions';
import type { GatewayRequest, ReplyEnvelope } from '../contract.js';
import { isGatewayCustomStatus } from '../contract-guards.js';
import type { GatewayDurable } from '../durable-port.js';
import { GatewayError } from '../errors.js';
import type { EdgeHandler, EdgeResponse, EdgeScope } from '../http-edge.js';
import type { DeliveryResult } from '../replies/delivery.js';
import type { InstanceSnapshot } from '../request-state.js';
import type { Submission } from '../submission.js';
import { activeTelemetry } from './index.js';
import type { GatewaySdk } from './sdk.js';
import { carriedTrace, formatTraceparent, parseTraceparent, type TraceParent } from './traceparent.js';

export const SPAN = { submit: 'gateway.submit', dispatch: 'gateway.dispatch', reply: 'gateway.reply', answer: 'gateway.answer' } as const;

export const ATTR = {
  requestId: 'gateway.request_id',
  operation: 'gateway.operation',
  mode: 'gateway.mode',
  outcome: 'gateway.outcome',
  channel: 'gateway.channel',
  attempt: 'gateway.attempt',
  reason: 'gateway.reason',
  replyResult: 'gateway.reply.result',
  replyStatus: 'gateway.reply.status',
  /** valid (taken), ignored (present but not a valid traceparent) or absent. */
  replyTraceparent: 'gateway.reply.traceparent',
  httpStatus: 'http.response.status_code',
} as const;

export type ReplyChannel = 'blob' | 'servicebus';

function spanContextOf(parent: TraceParent): SpanContext {
  return { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags, isRemote: true };
}

function contextOf(parent: TraceParent | undefined): Context {
  return parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContextOf(parent));
}

function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return formatTraceparent({ traceId, spanId, flags: traceFlags });
}

/** The Functions host's span for this invocation (on Azure), when it gave a valid one. */
function invocationParent(invocation: InvocationContext): TraceParent | undefined {
  return parseTraceparent(invocation.traceContext?.traceParent);
}

/** The invocation's own span as a link, for spans whose parent is the request's trace instead. */
function invocationLinks(invocation: InvocationContext, parent: TraceParent | undefined): Link[] {
  const own = invocationParent(invocation);
  return own === undefined || own.spanId === parent?.spanId ? [] : [{ context: spanContextOf(own) }];
}

/** The trace a request's instance carries in its custom status (gatewayOrchestrator copies it there). */
export function requestTraceOf(snapshot: Pick<InstanceSnapshot, 'customStatus'> | undefined): TraceParent | undefined {
  const status = snapshot?.customStatus;
  return isGatewayCustomStatus(status) ? parseTraceparent(status.traceparent) : undefined;
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** What a submit call's caller got, for `gateway.requests`. */
export function outcomeOf(result: { status: number } | { error: unknown }): string {
  if ('status' in result) return result.status === 202 ? 'accepted' : 'answered';
  const { error } = result;
  if (!(error instanceof GatewayError)) return 'error';
  switch (error.code) {
    case 'sync-wait-expired':
    case 'reply-timed-out':
      return 'timedOut';
    case 'request-canceled':
      return 'canceled';
    default:
      return error.status < 500 ? 'refused' : 'failed';
  }
}

function recordAnswer(sdk: GatewaySdk, mode: string, reply: ReplyEnvelope, submittedAt: number): void {
  const now = Date.now();
  const attributes = { [ATTR.mode]: mode };
  const receivedAt = Date.parse(reply.receivedAt);
  if (Number.isFinite(receivedAt)) sdk.instruments.replyToResponse.record(Math.max(0, now - receivedAt), attributes);
  if (Number.isFinite(submittedAt)) sdk.instruments.submitToResponse.record(Math.max(0, now - submittedAt), attributes);
}

async function inAnswerSpan(
  sdk: GatewaySdk,
  parent: Context,
  links: Link[],
  requestId: string,
  reply: ReplyEnvelope,
  respond: () => Promise<EdgeResponse>,
): Promise<EdgeResponse> {
  const span = sdk.tracer.startSpan(
    SPAN.answer,
    { attributes: { [ATTR.requestId]: requestId, [ATTR.replyStatus]: reply.status }, links },
    parent,
  );
  try {
    return await respond();
  } catch (error) {
    fail(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** What the submit function tells its trace as it goes. */
export interface SubmitTrace {
  /** The submission as it will be started: its request carries this call's trace context. */
  started(submission: Submission): Submission;
  /** Runs a wait for the reply, counted in `gateway.callers.waiting` while it lasts. */
  waiting<T>(wait: () => Promise<T>): Promise<T>;
  /** Builds the response carrying the reply, in the answer span. */
  answer(requestId: string, reply: ReplyEnvelope, respond: () => Promise<EdgeResponse>): Promise<EdgeResponse>;
}

const UNTRACED_SUBMIT: SubmitTrace = {
  started: (submission) => submission,
  waiting: (wait) => wait(),
  answer: (_id, _reply, respond) => respond(),
};

/**
 * The submit handler with its span around it: parented on the Functions host's span for the
 * invocation (Azure), else on the caller's own `traceparent` header when valid, else a new trace.
 * The handler gets the SubmitTrace as a fifth argument.
 */
export function withSubmitTrace(
  handler: (
    request: HttpRequest,
    client: DurableClient,
    context: InvocationContext,
    scope: EdgeScope,
    trace: SubmitTrace,
  ) => Promise<EdgeResponse>,
): EdgeHandler {
  return async (http, client, invocation, scope) => {
    const sdk = activeTelemetry();
    if (sdk === undefined) return handler(http, client, invocation, scope, UNTRACED_SUBMIT);
    const arrivedAt = Date.now();
    const parent = invocationParent(invocation) ?? parseTraceparent(http.headers.get('traceparent'));
    const span = sdk.tracer.startSpan(
      SPAN.submit,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': http.method } },
      contextOf(parent),
    );
    let mode = 'unknown';
    const call: SubmitTrace = {
      started(submission) {
        const { request } = submission;
        mode = request.waitMode;
        span.setAttributes({ [ATTR.requestId]: request.id, [ATTR.operation]: request.operation, [ATTR.mode]: mode });
        return { ...submission, request: { ...request, traceparent: traceparentOf(span) } };
      },
      async waiting(wait) {
        sdk.instruments.callersWaiting.add(1);
        try {
          return await wait();
        } finally {
          sdk.instruments.callersWaiting.add(-1);
        }
      },
      async answer(requestId, reply, respond) {
        const response = await inAnswerSpan(sdk, trace.setSpan(ROOT_CONTEXT, span), [], requestId, reply, respond);
        recordAnswer(sdk, mode, reply, arrivedAt);
        return response;
      },
    };
    const end = (result: { status: number } | { error: unknown }, status: number) => {
      const outcome = outcomeOf(result);
      span.setAttributes({ [ATTR.outcome]: outcome, [ATTR.httpStatus]: status });
      sdk.instruments.requests.add(1, { [ATTR.mode]: mode, [ATTR.outcome]: outcome });
      span.end();
    };
    try {
      const response = await handler(http, client, invocation, scope, call);
      end(response, response.status);
      return response;
    } catch (error) {
      if (!(error instanceof GatewayError) || error.status >= 500) fail(span, error);
      end({ error }, error instanceof GatewayError ? error.status : 500);
      throw error;
    }
  };
}

/**
 * The dispatch activity's send in its span, a child of the submit span (the request's stored
 * traceparent). `send` gets the request carrying the dispatch span's traceparent, which is what the
 * backend sees. A failure is counted in `gateway.dispatch.failures` and rethrown.
 */
export async function traceDispatch(
  request: GatewayRequest,
  channel: string,
  invocation: InvocationContext,
  send: (outgoing: GatewayRequest) => Promise<void>,
): Promise<void> {
  const sdk = activeTelemetry();
  if (sdk === undefined) return send(request);
  const parent = parseTraceparent(request.traceparent);
  const attributes: Attributes = {
    [ATTR.requestId]: request.id,
    [ATTR.operation]: request.operation,
    [ATTR.channel]: channel,
    [ATTR.attempt]: request.attempt ?? 1,
  };
  const span = sdk.tracer.startSpan(
    SPAN.dispatch,
    { kind: SpanKind.PRODUCER, attributes, links: invocationLinks(invocation, parent) },
    contextOf(parent),
  );
  try {
    await send({ ...request, traceparent: traceparentOf(span) });
  } catch (error) {
    sdk.instruments.dispatchFailures.add(1, { [ATTR.channel]: channel });
    fail(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * One reply's intake in its span. The span is written when the delivery is over, with the start
 * time it had, because its parent is known only then: the reply's own traceparent (blob metadata
 * or message property `traceparent`) when valid and in the request's trace, else the request's
 * trace as the instance's custom status gives it (read through `durable`, by the delivery's own
 * looks, at no extra cost). Set-aside replies are counted by reason.
 */
export async function traceReply<D extends Pick<GatewayDurable, 'inspect'>>(
  facts: { channel: ReplyChannel; invocation: InvocationContext; traceparent: unknown },
  durable: D,
  deliver: (durable: D) => Promise<DeliveryResult>,
): Promise<DeliveryResult> {
  const sdk = activeTelemetry();
  if (sdk === undefined) return deliver(durable);
  const startedAt = Date.now();
  let requestId: string | undefined;
  let requestTrace: TraceParent | undefined;
  const watched = Object.create(durable) as D;
  watched.inspect = async (id: string) => {
    const snapshot = await durable.inspect(id);
    requestId ??= id;
    requestTrace ??= requestTraceOf(snapshot);
    return snapshot;
  };
  const finish = (result: { outcome: DeliveryResult } | { error: unknown }) => {
    const carried = carriedTrace(facts.traceparent);
    const reply = carried.state === 'valid' ? carried.parent : undefined;
    const replyIsParent = reply !== undefined && (requestTrace === undefined || reply.traceId === requestTrace.traceId);
    const parent = replyIsParent ? reply : (requestTrace ?? invocationParent(facts.invocation));
    const links = [
      ...invocationLinks(facts.invocation, parent),
      ...(reply !== undefined && !replyIsParent ? [{ context: spanContextOf(reply) }] : []),
    ];
    const attributes: Attributes = { [ATTR.channel]: facts.channel, [ATTR.replyTraceparent]: carried.state };
    if ('outcome' in result) {
      const { outcome } = result;
      attributes[ATTR.replyResult] = outcome.result;
      if (outcome.result === 'setAside') {
        attributes[ATTR.reason] = outcome.reason;
        sdk.instruments.repliesSetAside.add(1, { [ATTR.reason]: outcome.reason, [ATTR.channel]: facts.channel });
      }
      const id = 'requestId' in outcome ? outcome.requestId : requestId;
      if (id !== undefined) attributes[ATTR.requestId] = id;
    } else if (requestId !== undefined) attributes[ATTR.requestId] = requestId;
    const span = sdk.tracer.startSpan(SPAN.reply, { kind: SpanKind.CONSUMER, startTime: startedAt, attributes, links }, contextOf(parent));
    if ('error' in result) fail(span, result.error);
    span.end();
  };
  try {
    const outcome = await deliver(watched);
    finish({ outcome });
    return outcome;
  } catch (error) {
    finish({ error });
    throw error;
  }
}

/** GET /results/{id}'s response in the request's trace (async callers), with the call's own span linked. */
export async function traceResult(
  snapshot: InstanceSnapshot,
  reply: ReplyEnvelope,
  invocation: InvocationContext,
  respond: () => Promise<EdgeResponse>,
): Promise<EdgeResponse> {
  const sdk = activeTelemetry();
  if (sdk === undefined) return respond();
  const parent = requestTraceOf(snapshot) ?? invocationParent(invocation);
  const response = await inAnswerSpan(sdk, contextOf(parent), invocationLinks(invocation, parent), snapshot.id, reply, respond);
  recordAnswer(sdk, 'async', reply, Date.parse(snapshot.createdAt));
  return response;
}
