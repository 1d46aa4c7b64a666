// Traces and metrics through a real OTLP/HTTP receiver (test/support/otlp-receiver.ts), started
// before the host, the gateway pointed at it with OTEL_EXPORTER_OTLP_ENDPOINT and short export
// intervals through the standard variables. The test is the backend: it reads the traceparent the
// dispatch put on the request blob and answers with a reply blob carrying its own (or a malformed)
// traceparent in its metadata.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { latestValue, type OtlpReceiver, spansOf as spansIn, startOtlpReceiver, traceparentParts } from '../support/otlp-receiver.js';
import { eventually } from '../support/stack.js';
import { call, expectProblem, idForKey, nextRequest, submit, uniqueOperation } from './gateway-client.js';

let receiver: OtlpReceiver;
let stack: GatewayStack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startGatewayStack({
    settings: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      OTEL_SERVICE_NAME: 'gateway-under-test',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const spansOf = (id: string, names: string[]) => spansIn(receiver, id, names);

/** Writes reply blob `name` as a backend would, with blob metadata (e.g. its traceparent). */
async function replyWith(name: string, body: string, metadata: Record<string, string>): Promise<void> {
  const container = stack.blobs.getContainerClient(stack.settings.GATEWAY_REPLIES_CONTAINER ?? 'replies');
  await container.createIfNotExists();
  await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    metadata,
  });
}

let syncId = '';
let asyncId = '';

describe('traces over the blob channel', () => {
  it('one trace per sync request: submit → dispatch → (backend) → reply, and the answer; traceparent on the request blob', async () => {
    const operation = uniqueOperation('traced');
    const backendSpan = hex(8);
    // The caller's own trace context: the submit span continues it (the local host gives no invocation span).
    const caller = { traceId: hex(16), spanId: hex(8) };
    const [answer, request] = await Promise.all([
      submit(stack, operation, '{"n":1}', { traceparent: `00-${caller.traceId}-${caller.spanId}-01` }),
      nextRequest(stack, operation).then(async (r) => {
        const { traceId } = traceparentParts(r.metadata.traceparent);
        // The backend continues the trace it was given, under a span of its own.
        await replyWith(`${r.id}.json`, '{"ok":1}', { traceparent: `00-${traceId}-${backendSpan}-01` });
        return r;
      }),
    ]);
    expect(answer.status).toBe(200);
    syncId = request.id;

    const spans = await spansOf(syncId, ['gateway.submit', 'gateway.dispatch', 'gateway.reply', 'gateway.answer']);
    const submitSpan = spans.get('gateway.submit');
    const dispatch = spans.get('gateway.dispatch');
    const intake = spans.get('gateway.reply');
    const answerSpan = spans.get('gateway.answer');
    const traceIds = new Set([...spans.values()].map((s) => s.traceId));
    expect(traceIds.size).toBe(1);
    // Every span that names this request is in that one trace.
    expect(receiver.spans.filter((s) => s.attributes['gateway.request_id'] === syncId).every((s) => traceIds.has(s.traceId))).toBe(true);

    expect(submitSpan?.attributes).toMatchObject({ 'gateway.mode': 'sync', 'gateway.outcome': 'answered', 'gateway.operation': operation });
    expect(submitSpan).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId });
    expect(dispatch?.parentSpanId).toBe(submitSpan?.spanId);
    expect(dispatch?.attributes).toMatchObject({ 'gateway.channel': 'blob', 'gateway.attempt': 1 });
    // What the backend got is the dispatch span's context.
    expect(traceparentParts(request.metadata.traceparent)).toEqual({ traceId: dispatch?.traceId, spanId: dispatch?.spanId });
    // The reply's own traceparent links in: the intake is the backend span's child.
    expect(intake?.parentSpanId).toBe(backendSpan);
    expect(intake?.attributes).toMatchObject({
      'gateway.channel': 'blob',
      'gateway.reply.result': 'delivered',
      'gateway.reply.traceparent': 'valid',
    });
    expect(answerSpan?.parentSpanId).toBe(submitSpan?.spanId);
    expect(answerSpan?.attributes['gateway.reply.status']).toBe(200);
    expect(receiver.refused).toEqual([]);
  });

  it('an async request: a malformed reply traceparent is ignored, the intake and the result stay in the request trace', async () => {
    const operation = uniqueOperation('traced-async');
    const accepted = await submit(stack, operation, '{"n":2}', { Prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    asyncId = accepted.json<{ id: string }>().id;
    const request = await nextRequest(stack, operation);
    expect(request.id).toBe(asyncId);
    // Upper-case hex: not a valid version-00 traceparent.
    await replyWith(`${asyncId}.json`, '{"ok":2}', { traceparent: `00-${hex(16).toUpperCase()}-${hex(8)}-01` });
    const result = await eventually(async () => {
      const r = await call(stack, `results/${asyncId}`);
      return r.status === 200 ? r : undefined;
    });
    expect(result.text()).toBe('{"ok":2}');

    const spans = await spansOf(asyncId, ['gateway.submit', 'gateway.dispatch', 'gateway.reply', 'gateway.answer']);
    const submitSpan = spans.get('gateway.submit');
    expect(new Set([...spans.values()].map((s) => s.traceId)).size).toBe(1);
    expect(submitSpan?.attributes).toMatchObject({ 'gateway.mode': 'async', 'gateway.outcome': 'accepted' });
    const intake = spans.get('gateway.reply');
    expect(intake?.attributes['gateway.reply.traceparent']).toBe('ignored');
    // Its parent is the request's trace as the instance carries it: the submit span.
    expect(intake?.parentSpanId).toBe(submitSpan?.spanId);
    expect(intake?.links).toEqual([]);
    expect(spans.get('gateway.answer')?.parentSpanId).toBe(submitSpan?.spanId);
    expect(syncId).not.toBe('');
    expect(receiver.spans.find((s) => s.attributes['gateway.request_id'] === syncId)?.traceId).not.toBe(submitSpan?.traceId);
  });

  it('a dispatch that fails is an error span and a failure counted; the caller gets the 502', async () => {
    // A request blob held under a lease: the dispatch's write of it is refused (412).
    const key = `telemetry-${hex(6)}`;
    const id = await idForKey(stack, key);
    const requests = stack.blobs.getContainerClient(stack.settings.GATEWAY_REQUESTS_CONTAINER ?? 'requests');
    await requests.createIfNotExists();
    const blob = requests.getBlockBlobClient(id);
    await blob.upload('held', 4);
    await blob.getBlobLeaseClient().acquireLease(-1);
    const answer = await submit(stack, uniqueOperation('undispatchable'), '{}', { 'Idempotency-Key': key });
    expectProblem(answer, 502, 'processing-failed', id);
    const dispatch = (await spansOf(id, ['gateway.submit', 'gateway.dispatch'])).get('gateway.dispatch');
    expect(dispatch?.statusCode).toBe(2);
  });

  it('a reply for no known request is set aside and counted by reason', async () => {
    const id = `unknown-${hex(6)}`;
    await replyWith(id, '{}', {});
    const [intake] = (await spansOf(id, ['gateway.reply'])).values();
    expect(intake?.attributes).toMatchObject({ 'gateway.reply.result': 'setAside', 'gateway.reason': 'unknown-request' });
  });
});

describe('metrics', () => {
  it('count the requests made, by mode and outcome; the latencies, the waiting callers and the set-aside replies', async () => {
    expect(asyncId).not.toBe('');
    const counts = await eventually(
      () => {
        const sync = latestValue(receiver.points, 'gateway.requests', { 'gateway.mode': 'sync', 'gateway.outcome': 'answered' });
        const async = latestValue(receiver.points, 'gateway.requests', { 'gateway.mode': 'async', 'gateway.outcome': 'accepted' });
        const unknown = latestValue(receiver.points, 'gateway.replies.set_aside', {
          'gateway.reason': 'unknown-request',
          'gateway.channel': 'blob',
        });
        const replyToResponse = latestValue(receiver.points, 'gateway.reply_to_response.duration', {});
        const failed = latestValue(receiver.points, 'gateway.requests', { 'gateway.mode': 'sync', 'gateway.outcome': 'failed' });
        const dispatchFailures = latestValue(receiver.points, 'gateway.dispatch.failures', { 'gateway.channel': 'blob' });
        const all = { sync, async, failed, unknown, replyToResponse, dispatchFailures };
        return Object.values(all).every((v) => v !== undefined) && unknown === 1 ? all : undefined;
      },
      15_000,
      'the metric export to count the three requests above',
    );
    expect(counts).toEqual({ sync: 1, async: 1, failed: 1, unknown: 1, replyToResponse: 2, dispatchFailures: 1 });
    expect(latestValue(receiver.points, 'gateway.submit_to_response.duration', { 'gateway.mode': 'sync' })).toBe(1);
    expect(latestValue(receiver.points, 'gateway.submit_to_response.duration', { 'gateway.mode': 'async' })).toBe(1);
    // The sync caller waited and was answered: nobody waits now.
    expect(latestValue(receiver.points, 'gateway.callers.waiting', {})).toBe(0);
  });
});
