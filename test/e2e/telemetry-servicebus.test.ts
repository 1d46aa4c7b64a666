// Traces over the Service Bus channel, through a real OTLP/HTTP receiver: the dispatched message
// carries the dispatch span's traceparent as application properties `traceparent` and
// `Diagnostic-Id`, a reply message carrying its own traceparent links the intake in under the
// backend's span, and one from another trace is linked rather than followed.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestValue, type OtlpReceiver, spansOf, startOtlpReceiver, traceparentParts } from '../support/otlp-receiver.js';
import { nextRequestMessage, type ServiceBusStack, sendToReplyTopic, startServiceBusStack } from '../support/servicebus-stack.js';
import { eventually } from '../support/stack.js';
import { submit, uniqueOperation } from './gateway-client.js';

let receiver: OtlpReceiver;
let stack: ServiceBusStack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startServiceBusStack({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

describe('traces over Service Bus', () => {
  it('the request message carries traceparent and Diagnostic-Id; the reply message’s own traceparent is the intake’s parent', async () => {
    const operation = uniqueOperation('sbtraced');
    const backendSpan = randomBytes(8).toString('hex');
    const [answer, message] = await Promise.all([
      submit(stack.gateway, operation, '{"sb":1}'),
      nextRequestMessage(stack, operation).then(async (m) => {
        const { traceId } = traceparentParts(m.applicationProperties?.traceparent);
        await sendToReplyTopic(stack, {
          body: Buffer.from('{"sb":"ok"}'),
          contentType: 'application/json',
          correlationId: String(m.correlationId),
          messageId: randomUUID(),
          applicationProperties: { traceparent: `00-${traceId}-${backendSpan}-01` },
        });
        return m;
      }),
    ]);
    expect(answer.status, answer.text()).toBe(200);
    const id = String(message.correlationId);
    expect(message.applicationProperties?.['Diagnostic-Id']).toBe(message.applicationProperties?.traceparent);

    const spans = await spansOf(receiver, id, ['gateway.submit', 'gateway.dispatch', 'gateway.reply', 'gateway.answer']);
    expect(new Set([...spans.values()].map((s) => s.traceId)).size).toBe(1);
    const dispatch = spans.get('gateway.dispatch');
    expect(dispatch?.attributes['gateway.channel']).toBe('servicebus');
    expect(dispatch?.parentSpanId).toBe(spans.get('gateway.submit')?.spanId);
    expect(traceparentParts(message.applicationProperties?.traceparent)).toEqual({ traceId: dispatch?.traceId, spanId: dispatch?.spanId });
    const intake = spans.get('gateway.reply');
    expect(intake?.parentSpanId).toBe(backendSpan);
    expect(intake?.attributes).toMatchObject({
      'gateway.channel': 'servicebus',
      'gateway.reply.traceparent': 'valid',
      'gateway.reply.result': 'delivered',
    });
  });

  it('a reply traceparent from another trace is linked, not followed: the intake stays in the request trace', async () => {
    const operation = uniqueOperation('sbforeign');
    const foreign = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
    const [answer, message] = await Promise.all([
      submit(stack.gateway, operation, '{"sb":2}'),
      nextRequestMessage(stack, operation).then(async (m) => {
        await sendToReplyTopic(stack, {
          body: Buffer.from('{"sb":"ok"}'),
          contentType: 'application/json',
          correlationId: String(m.correlationId),
          messageId: randomUUID(),
          // The Azure SDKs' property name, from a backend that started a trace of its own.
          applicationProperties: { 'Diagnostic-Id': `00-${foreign.traceId}-${foreign.spanId}-01` },
        });
        return m;
      }),
    ]);
    expect(answer.status, answer.text()).toBe(200);
    const spans = await spansOf(receiver, String(message.correlationId), ['gateway.submit', 'gateway.reply']);
    const intake = spans.get('gateway.reply');
    expect(intake?.traceId).toBe(spans.get('gateway.submit')?.traceId);
    expect(intake?.parentSpanId).toBe(spans.get('gateway.submit')?.spanId);
    expect(intake?.links).toEqual([foreign]);
    expect(intake?.attributes['gateway.reply.traceparent']).toBe('valid');

    // Both sync requests of this file, answered.
    const sync = await eventually(() => {
      const n = latestValue(receiver.points, 'gateway.requests', { 'gateway.mode': 'sync', 'gateway.outcome': 'answered' });
      return n === 2 ? n : undefined;
    });
    expect(sync).toBe(2);
  });
});
