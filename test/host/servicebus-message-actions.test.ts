// Service Bus message actions on the local host: a trigger declared with `sdkBinding: true` gets
// what the published @azure/functions-extensions-servicebus builds from the host's ModelBindingData,
// and settles its message through the host's Settlement gRPC service. Everything is real: the
// extension's own gRPC client, the host's server, the SDK's receiver and the local endpoint.
import path from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import type { RunningHost } from '../../src/host/host.js';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';

interface Call {
  message: ServiceBusReceivedMessage;
  actions: { complete(m: ServiceBusReceivedMessage): Promise<void> };
  meta?: Record<string, unknown>;
  results: Array<{ label: string; ok: boolean; code?: number; details?: string }>;
}
const calls = (): Call[] => ((globalThis as Record<string, unknown>).__sbActions as Call[] | undefined) ?? [];
const callsFor = (messageId: string) => calls().filter((c) => c.message.messageId === messageId);

const azurite = useTestAzurite();
let bus: ServiceBusEmulator;
let host: RunningHost;
let client: ServiceBusClient;

beforeAll(async () => {
  bus = await startServiceBusEmulator({
    port: 0,
    // A short lock, so a message left unsettled comes back within the test.
    topology: { queues: [{ name: 'actions', maxDeliveryCount: 5, lockDurationMs: 2_000 }, { name: 'auto' }] },
  });
  process.env.ServiceBusConnection = bus.connectionString;
  host = await startTestHost(azurite, { appDir: path.join(__dirname, '../fixtures/servicebus-actions-app') });
  client = new ServiceBusClient(bus.connectionString);
});
afterAll(async () => {
  await client?.close();
  await host?.stop();
  await bus?.stop();
  delete process.env.ServiceBusConnection;
});

async function send(queue: string, messageId: string, action: string, body: Buffer = Buffer.from('{"n":1}')) {
  const sender = client.createSender(queue);
  try {
    await sender.sendMessages({ body, messageId, contentType: 'application/octet-stream', applicationProperties: { action } });
  } finally {
    await sender.close();
  }
}

async function peekAll(queue: string, subQueueType?: 'deadLetter'): Promise<ServiceBusReceivedMessage[]> {
  const receiver = subQueueType ? client.createReceiver(queue, { subQueueType }) : client.createReceiver(queue);
  try {
    // From the start each time: the SDK keeps one peek cursor per connection and entity, across
    // receivers, so "is empty" would otherwise only speak for messages past the last peeked one.
    return await receiver.peekMessages(50, { fromSequenceNumber: Long.ZERO });
  } finally {
    await receiver.close();
  }
}

describe('Service Bus message actions (sdkBinding) through the host Settlement service', () => {
  it('hands the function the received message: lock token, properties and the body bytes as sent', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x80]);
    await send('actions', 'mba-body', 'complete', bytes);
    const [call] = await eventually(
      () => (callsFor('mba-body')[0]?.results.length ? callsFor('mba-body') : undefined),
      10_000,
      'the invocation',
    );
    expect(call?.message.lockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(call?.message.lockToken).toBe(call?.meta?.lockToken);
    expect(call?.message.applicationProperties).toEqual({ action: 'complete' });
    expect(call?.message.contentType).toBe('application/octet-stream');
    const raw = call?.message._rawAmqpMessage.body as { content?: Buffer };
    expect(Buffer.isBuffer(raw.content) && raw.content.equals(bytes)).toBe(true);
    expect(call?.results).toEqual([{ label: 'complete', ok: true }]);
    await eventually(async () => ((await peekAll('actions')).length === 0 ? true : undefined), 5_000, 'the queue to be empty');
  });

  it('dead-letters in place with the reason and description, read back with the SDK dead-letter receiver', async () => {
    await send('actions', 'mba-dlq', 'deadletter', Buffer.from('{"late":true}'));
    await eventually(() => callsFor('mba-dlq')[0]?.results[0], 10_000, 'the dead-letter call');
    expect(callsFor('mba-dlq')[0]?.results).toEqual([{ label: 'deadletter', ok: true }]);
    const dlq = client.createReceiver('actions', { subQueueType: 'deadLetter', skipParsingBodyAsJson: true });
    try {
      const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
      expect(dead?.messageId).toBe('mba-dlq');
      expect(dead?.deadLetterReason).toBe('late');
      expect(dead?.deadLetterErrorDescription).toBe('request timed out');
      expect(Buffer.isBuffer(dead?.body) && dead.body.toString()).toBe('{"late":true}');
      if (dead) await dlq.completeMessage(dead);
    } finally {
      await dlq.close();
    }
    expect(callsFor('mba-dlq')).toHaveLength(1);
  });

  it('abandon gives the message back at once: delivered again with its delivery count raised', async () => {
    await send('actions', 'mba-abandon', 'abandon');
    const again = await eventually(
      () => (callsFor('mba-abandon').length >= 2 && callsFor('mba-abandon')[0]?.results.length ? callsFor('mba-abandon') : undefined),
      10_000,
      'a redelivery',
    );
    expect(again[0]?.results).toEqual([{ label: 'abandon', ok: true }]);
    expect(again.map((c) => c.meta?.deliveryCount).slice(0, 2)).toEqual([1, 2]);
  });

  it('completes side by side with abandons among them: every message gets its own outcome, none lost, none redelivered after a complete', async () => {
    // Sent at once, so the trigger runs them together (16 at a time) and their settlements meet.
    const ids = Array.from({ length: 24 }, (_, i) => `mba-mix-${i}`);
    const action = (i: number) => (i % 3 === 1 ? 'abandon' : 'complete');
    const sender = client.createSender('actions');
    try {
      await sender.sendMessages(
        ids.map((messageId, i) => ({
          body: Buffer.from('{}'),
          messageId,
          contentType: 'application/json',
          applicationProperties: { action: action(i) },
        })),
      );
    } finally {
      await sender.close();
    }
    const abandoned = ids.filter((_, i) => action(i) === 'abandon');
    const completed = ids.filter((_, i) => action(i) === 'complete');
    // Every abandon counts a delivery, so each abandoned message is dead-lettered after the queue's
    // 5; a complete merged into an abandon would come back, an abandon merged into a complete not.
    await eventually(
      () => (abandoned.every((id) => callsFor(id).length >= 5) ? true : undefined),
      20_000,
      'five deliveries of each abandoned message',
    );
    const dlq = client.createReceiver('actions', { subQueueType: 'deadLetter' });
    const dead: ServiceBusReceivedMessage[] = [];
    try {
      while (dead.filter((m) => String(m.messageId).startsWith('mba-mix-')).length < abandoned.length) {
        const got = await dlq.receiveMessages(50, { maxWaitTimeInMs: 5_000 });
        if (got.length === 0) break;
        for (const m of got) await dlq.completeMessage(m);
        dead.push(...got);
      }
    } finally {
      await dlq.close();
    }
    const mixed = dead.filter((m) => String(m.messageId).startsWith('mba-mix-'));
    expect(mixed.map((m) => String(m.messageId)).sort()).toEqual([...abandoned].sort());
    expect(mixed.every((m) => m.deadLetterReason === 'MaxDeliveryCountExceeded')).toBe(true);
    for (const id of abandoned) expect(callsFor(id).map((c) => c.results)).toEqual(Array(5).fill([{ label: 'abandon', ok: true }]));
    for (const id of completed) expect(callsFor(id).map((c) => c.results)).toEqual([[{ label: 'complete', ok: true }]]);
  });

  it('a second settlement of the same message fails through the contract; the first one stands', async () => {
    await send('actions', 'mba-twice', 'twice');
    const [call] = await eventually(
      () => (callsFor('mba-twice')[0]?.results.length === 2 ? callsFor('mba-twice') : undefined),
      10_000,
      'both calls',
    );
    expect(call?.results[0]).toEqual({ label: 'complete', ok: true });
    // UNKNOWN (2): the settlement itself failed, as the extension reports an exception.
    expect(call?.results[1]).toMatchObject({ label: 'complete again', ok: false, code: 2 });
    expect(call?.results[1]?.details).toMatch(/already settled/);
  });

  it('a lock token the host no longer holds is FAILED_PRECONDITION "LockToken … not found."', async () => {
    const [call] = callsFor('mba-body');
    expect(call).toBeDefined();
    const error = await (call as Call).actions.complete((call as Call).message).then(
      () => undefined,
      (err: { code?: number; details?: string }) => err,
    );
    expect(error?.code).toBe(9);
    expect(error?.details).toBe(`LockToken ${String(call?.message.lockToken)} not found.`);
  });

  it('a function that throws without settling gets its message abandoned; one that returns unsettled with autoCompleteMessages false gets it back when the lock runs out', async () => {
    await send('actions', 'mba-throw', 'throw');
    await send('actions', 'mba-none', 'none');
    await eventually(() => (callsFor('mba-throw').length >= 2 ? true : undefined), 10_000, 'the thrown message again');
    const none = await eventually(
      () => (callsFor('mba-none').length >= 2 ? callsFor('mba-none') : undefined),
      15_000,
      'the unsettled message again',
    );
    expect(none.map((c) => c.meta?.deliveryCount).slice(0, 2)).toEqual([1, 2]);
  });

  it('without autoCompleteMessages: false the host completes what the function left unsettled', async () => {
    await send('auto', 'mba-auto', 'none');
    await eventually(() => callsFor('mba-auto')[0], 10_000, 'the invocation');
    await eventually(async () => ((await peekAll('auto')).length === 0 ? true : undefined), 5_000, 'the queue to be empty');
    expect(await peekAll('auto', 'deadLetter')).toEqual([]);
  });
});
