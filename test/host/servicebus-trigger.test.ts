import path from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';

interface Seen {
  fn: string;
  message: unknown;
  meta: Record<string, unknown>;
}
const seen = (): Seen[] => ((globalThis as Record<string, unknown>).__sbSeen as Seen[] | undefined) ?? [];

const azurite = useTestAzurite();
let bus: ServiceBusEmulator;
let host: RunningHost;
let client: ServiceBusClient;

beforeAll(async () => {
  bus = await startServiceBusEmulator({
    port: 0,
    topology: { queues: [{ name: 'work', maxDeliveryCount: 3 }], topics: [{ name: 'events', subscriptions: [{ name: 'host' }] }] },
  });
  process.env.ServiceBusConnection = bus.connectionString;
  process.env.SB_QUEUE = 'work';
  host = await startTestHost(azurite, { appDir: path.join(__dirname, '../fixtures/servicebus-app') });
  client = new ServiceBusClient(bus.connectionString);
});
afterAll(async () => {
  await client?.close();
  await host?.stop();
  await bus?.stop();
  delete process.env.ServiceBusConnection;
  delete process.env.SB_QUEUE;
});

describe('Service Bus trigger (real SDK against the local endpoint)', () => {
  it('hands the function the parsed body and the real host trigger metadata, then completes the message', async () => {
    const sender = client.createSender('work');
    await sender.sendMessages({
      body: { hello: 'world' },
      messageId: 'm-1',
      correlationId: 'corr-1',
      subject: 'greeting',
      replyTo: 'replies',
      contentType: 'application/json',
      applicationProperties: { requestId: 'r-1', status: 201 },
    });
    await sender.close();
    const call = await eventually(() => seen().find((s) => s.meta.messageId === 'm-1'), 10_000, 'the queue function');
    expect(call.fn).toBe('onQueue');
    expect(call.message).toEqual({ hello: 'world' });
    expect(call.meta).toMatchObject({ correlationId: 'corr-1', subject: 'greeting', replyTo: 'replies', deliveryCount: 1, applicationProperties: { requestId: 'r-1', status: 201 } });
    // Completed: nothing left to peek once the settlement went through.
    const receiver = client.createReceiver('work');
    await eventually(async () => ((await receiver.peekMessages(10)).length === 0 ? true : undefined), 5_000, 'the queue to be empty');
    await receiver.close();
  });

  it('abandons a failing message until the broker dead-letters it after MaxDeliveryCount', async () => {
    const sender = client.createSender('work');
    await sender.sendMessages({ body: { fail: true }, messageId: 'poison-1' });
    await sender.close();
    const dlq = client.createReceiver('work', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 15_000 });
    expect(dead?.messageId).toBe('poison-1');
    expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    await dlq.completeMessage(dead!);
    await dlq.close();
    const counts = seen().filter((s) => s.meta.messageId === 'poison-1').map((s) => s.meta.deliveryCount);
    expect(counts).toEqual([1, 2, 3]);
  });

  it('fires for a topic subscription', async () => {
    const sender = client.createSender('events');
    await sender.sendMessages({ body: 'plain text', messageId: 't-1' });
    await sender.close();
    const call = await eventually(() => seen().find((s) => s.meta.messageId === 't-1'), 10_000, 'the topic function');
    expect(call.fn).toBe('onTopic');
    expect(call.message).toBe('plain text');
  });
});
