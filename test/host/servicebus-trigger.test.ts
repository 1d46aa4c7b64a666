import path from 'node:path';
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import type { RunningHost } from '../../src/host/host.js';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';

interface Seen {
  fn: string;
  message: unknown;
  meta: Record<string, unknown>;
}
/** A plain message, or an AMQP one (a value section). */
type Sendable = Extract<Parameters<ServiceBusSender['sendMessages']>[0], { body: unknown }>;
const seen = (): Seen[] => ((globalThis as Record<string, unknown>).__sbSeen as Seen[] | undefined) ?? [];

const azurite = useTestAzurite();
let bus: ServiceBusEmulator;
let host: RunningHost;
let client: ServiceBusClient;

beforeAll(async () => {
  bus = await startServiceBusEmulator({
    port: 0,
    topology: {
      queues: [{ name: 'work', maxDeliveryCount: 3 }, { name: 'forwarded' }, { name: 'binary' }],
      topics: [{ name: 'events', subscriptions: [{ name: 'host' }] }],
    },
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
    expect(call.meta).toMatchObject({
      correlationId: 'corr-1',
      subject: 'greeting',
      replyTo: 'replies',
      deliveryCount: 1,
      applicationProperties: { requestId: 'r-1', status: 201 },
    });
    // Completed: nothing left to peek once the settlement went through.
    const receiver = client.createReceiver('work');
    await eventually(async () => ((await receiver.peekMessages(10)).length === 0 ? true : undefined), 5_000, 'the queue to be empty');
    await receiver.close();
  });

  it("adds the extension's other binding data and converts it as the Node worker does (strings JSON-parsed, nested keys camel-cased)", async () => {
    const sender = client.createSender('work');
    const before = Date.now();
    await sender.sendMessages({
      body: 'plain text',
      messageId: '12345',
      partitionKey: 'pk-1',
      replyToSessionId: 'reply-session',
      timeToLive: 60_000,
      applicationProperties: { Status: 201, RequestId: 'r-2' },
    });
    await sender.close();
    const call = await eventually(() => seen().find((s) => s.meta.messageId === 12345), 10_000, 'the message with id 12345');
    // fromRpcTriggerMetadata: the string "12345" parses as JSON, so the app sees a number, as on Azure.
    expect(call.meta.messageId).toBe(12345);
    expect(call.meta).toMatchObject({
      partitionKey: 'pk-1',
      replyToSessionId: 'reply-session',
      applicationProperties: { status: 201, requestId: 'r-2' },
    });
    const enqueued = Date.parse(call.meta.enqueuedTimeUtc as string);
    expect(enqueued).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(call.meta.expiresAtUtc as string) - enqueued).toBe(60_000);
    // Null binding data carries nothing over RPC: no dead-letter source on a first delivery from the queue itself.
    expect('deadLetterSource' in call.meta).toBe(false);
  });

  it('writes a Service Bus output binding after the function returns: one message per array element, body bytes as the worker sent them', async () => {
    const sender = client.createSender('events');
    await sender.sendMessages({ body: { forward: 'hello' }, messageId: 'fwd-1' });
    await sender.close();
    const receiver = client.createReceiver('forwarded', { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true });
    try {
      const got: string[] = [];
      await eventually(
        async () => {
          for (const m of await receiver.receiveMessages(2, { maxWaitTimeInMs: 500 }))
            got.push(Buffer.from(m.body as Uint8Array).toString('utf8'));
          return got.length >= 2 ? true : undefined;
        },
        10_000,
        'two forwarded messages',
      );
      expect(got).toEqual([JSON.stringify({ forwarded: 'hello' }), 'second']);
    } finally {
      await receiver.close();
    }
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
    const counts = seen()
      .filter((s) => s.meta.messageId === 'poison-1')
      .map((s) => s.meta.deliveryCount);
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

  // On Azure the extension binds the message to a string (UTF-8 of a data section, or a value
  // section's string), the host passes it to the worker, and the worker JSON-parses what parses.
  it('hands each kind of body over as the host and the Node worker do on Azure', async () => {
    const cases: [string, Sendable, unknown][] = [
      ['body-string', { body: 'plain text' }, 'plain text'],
      // The SDK sends a string as its JSON encoding; decoded once it is the string again, not an object.
      ['body-json-text', { body: '{"a":1}' }, '{"a":1}'],
      ['body-object', { body: { a: [1, 'two'] } }, { a: [1, 'two'] }],
      ['body-number', { body: 42 }, 42],
      ['body-bytes-text', { body: Buffer.from('raw text') }, 'raw text'],
      ['body-bytes-json', { body: Buffer.from('{"b":2}') }, { b: 2 }],
      ['body-bytes-binary', { body: Buffer.from([0xff, 0xfe, 0x41]) }, '\ufffd\ufffdA'],
      ['body-value-string', { body: 'value text', bodyType: 'value' }, 'value text'],
    ];
    const sender = client.createSender('work');
    for (const [messageId, message] of cases) {
      const withId = 'bodyType' in message ? { ...message, properties: { messageId } } : { ...message, messageId };
      await sender.sendMessages(withId);
    }
    await sender.close();
    for (const [messageId, , expected] of cases) {
      const call = await eventually(() => seen().find((s) => s.meta.messageId === messageId), 10_000, messageId);
      expect({ messageId, body: call.message }).toEqual({ messageId, body: expected });
    }
  });

  it('fails the invocation for a value body that is not a string, as the extension cannot bind it, so it is dead-lettered in the end', async () => {
    const sender = client.createSender('work');
    await sender.sendMessages({ body: 7, bodyType: 'value', properties: { messageId: 'body-value-number' } });
    await sender.close();
    const dlq = client.createReceiver('work', { subQueueType: 'deadLetter' });
    try {
      const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 15_000 });
      expect(dead?.messageId).toBe('body-value-number');
      expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      await dlq.completeMessage(dead!);
    } finally {
      await dlq.close();
    }
    expect(seen().filter((s) => s.meta.messageId === 'body-value-number')).toEqual([]);
  });

  it("gives a dataType 'binary' function the body's bytes exactly as sent", async () => {
    const sender = client.createSender('binary');
    await sender.sendMessages([
      { body: Buffer.from([0, 1, 0xff]), messageId: 'bin-bytes' },
      { body: '{"a":1}', messageId: 'bin-string' },
    ]);
    await sender.close();
    const bytes = await eventually(() => seen().find((s) => s.meta.messageId === 'bin-bytes'), 10_000, 'bin-bytes');
    const text = await eventually(() => seen().find((s) => s.meta.messageId === 'bin-string'), 10_000, 'bin-string');
    expect(bytes.fn).toBe('onBinary');
    expect(Buffer.from(bytes.message as Uint8Array)).toEqual(Buffer.from([0, 1, 0xff]));
    // The SDK's JSON encoding of the string, byte for byte.
    expect(Buffer.from(text.message as Uint8Array).toString('utf8')).toBe(JSON.stringify('{"a":1}'));
  });
});
