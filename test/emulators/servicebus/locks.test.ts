import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  countMessages,
  type EmulatorWithClient,
  noLockRenewal,
  receiveExactly,
  receiveNothing,
  startEmulatorWithClient,
} from './support.js';

const lockDurationMs = 1_000;

let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({
    queues: [
      { name: 'expiry', lockDurationMs },
      { name: 'max-delivery', lockDurationMs, maxDeliveryCount: 2 },
      { name: 'expiry-to-dlq', lockDurationMs, maxDeliveryCount: 1 },
      { name: 'renew', lockDurationMs: 2 * lockDurationMs },
      { name: 'auto-renew', lockDurationMs: 1_500 },
      { name: 'short-lived', defaultMessageTimeToLiveMs: 300, deadLetteringOnMessageExpiration: true },
      { name: 'message-ttl' },
    ],
  });
});
afterAll(async () => {
  await sb?.stop();
});

it('returns a message whose lock expired, and refuses to settle it with the old lock', async () => {
  await sb.client.createSender('expiry').sendMessages({ body: 'slow consumer', messageId: 'e1' });
  const receiver = sb.client.createReceiver('expiry', noLockRenewal);
  const [first] = await receiveExactly(receiver, 1);
  expect((first?.lockedUntilUtc?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(lockDurationMs);

  const [second] = await receiveExactly(receiver, 1, 5_000);
  expect(second?.messageId).toBe('e1');
  expect(second?.deliveryCount).toBe(1);
  await expect(receiver.completeMessage(first!)).rejects.toMatchObject({ code: 'MessageLockLost' });
  await receiver.completeMessage(second!);
  expect(await receiveNothing(receiver)).toEqual([]);
});

it('dead-letters a message abandoned MaxDeliveryCount times with MaxDeliveryCountExceeded', async () => {
  await sb.client.createSender('max-delivery').sendMessages({ body: 'poison', messageId: 'm1' });
  const receiver = sb.client.createReceiver('max-delivery', noLockRenewal);
  for (const expectedCount of [0, 1]) {
    const [message] = await receiveExactly(receiver, 1);
    expect(message?.deliveryCount).toBe(expectedCount);
    await receiver.abandonMessage(message!);
  }
  expect(await receiveNothing(receiver)).toEqual([]);

  const dlq = sb.client.createReceiver('max-delivery', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' });
  const [dead] = await receiveExactly(dlq, 1);
  expect(dead).toMatchObject({
    messageId: 'm1',
    deadLetterReason: 'MaxDeliveryCountExceeded',
    deliveryCount: 2,
  });
  expect(dead?.deadLetterErrorDescription).toContain('2 delivery attempts');
});

it('counts lock expiries as delivery attempts towards the dead-letter queue', async () => {
  await sb.client.createSender('expiry-to-dlq').sendMessages({ body: 'never settled' });
  const receiver = sb.client.createReceiver('expiry-to-dlq', noLockRenewal);
  await receiveExactly(receiver, 1);

  const dlq = sb.client.createReceiver('expiry-to-dlq', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' });
  const [dead] = await receiveExactly(dlq, 1, 5_000);
  expect(dead).toMatchObject({ body: 'never settled', deadLetterReason: 'MaxDeliveryCountExceeded' });
  expect(await countMessages(sb.client, 'expiry-to-dlq')).toBe(0);
});

it('renews a lock on request, so the message can be completed after its first lock would have expired', async () => {
  await sb.client.createSender('renew').sendMessages({ body: 'long job' });
  const receiver = sb.client.createReceiver('renew', noLockRenewal);
  const [message] = await receiveExactly(receiver, 1);
  const firstLockedUntil = message!.lockedUntilUtc!.getTime();

  await sleep(lockDurationMs);
  const renewedUntil = await receiver.renewMessageLock(message!);
  expect(renewedUntil.getTime()).toBeGreaterThan(firstLockedUntil);
  await sleep(lockDurationMs * 1.2);

  expect(Date.now()).toBeGreaterThan(firstLockedUntil);
  await receiver.completeMessage(message!);
  expect(await countMessages(sb.client, 'renew')).toBe(0);
});

it('keeps a message locked while a subscribe() handler outlives the lock duration (automatic renewal)', async () => {
  await sb.client.createSender('auto-renew').sendMessages({ body: 'slow handler' });
  const receiver = sb.client.createReceiver('auto-renew', { maxAutoLockRenewalDurationInMs: 30_000 });
  const deliveries: ServiceBusReceivedMessage[] = [];
  const errors: unknown[] = [];
  let finished = (): void => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const subscription = receiver.subscribe(
    {
      processMessage: async (message) => {
        deliveries.push(message);
        try {
          await sleep(3_500);
          await receiver.completeMessage(message);
        } finally {
          finished();
        }
      },
      processError: ({ error }) => {
        errors.push(error);
        return Promise.resolve();
      },
    },
    { autoCompleteMessages: false },
  );
  await done;
  await subscription.close();

  expect(errors).toEqual([]);
  expect(deliveries.map((m) => m.deliveryCount)).toEqual([0]);
  expect(await countMessages(sb.client, 'auto-renew')).toBe(0);
});

it('dead-letters messages that outlive the time to live when the entity asks for it', async () => {
  await sb.client.createSender('short-lived').sendMessages({ body: 'stale', messageId: 't1' });
  await sleep(500);
  const receiver = sb.client.createReceiver('short-lived', noLockRenewal);
  expect(await receiveNothing(receiver)).toEqual([]);

  const dlq = sb.client.createReceiver('short-lived', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' });
  expect((await receiveExactly(dlq, 1))[0]).toMatchObject({ messageId: 't1', deadLetterReason: 'TTLExpiredException' });
});

it('drops a message past its own timeToLive, and keeps one that is not', async () => {
  const sender = sb.client.createSender('message-ttl');
  await sender.sendMessages([
    { body: 'short', timeToLive: 200 },
    { body: 'long', timeToLive: 60_000 },
  ]);
  await sleep(400);
  const receiver = sb.client.createReceiver('message-ttl', { receiveMode: 'receiveAndDelete' });
  expect((await receiveExactly(receiver, 1)).map((m) => m.body as unknown)).toEqual(['long']);
  expect(await countMessages(sb.client, 'message-ttl/$DeadLetterQueue')).toBe(0);
});
