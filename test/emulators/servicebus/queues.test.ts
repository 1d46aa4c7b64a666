import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  countMessages,
  type EmulatorWithClient,
  noLockRenewal,
  receiveExactly,
  receiveNothing,
  startEmulatorWithClient,
} from './support.js';

// Each test owns its queue, so no test sees another's leftovers.
const queues = [
  ...['roundtrip', 'properties', 'batches', 'peek', 'delete-mode', 'abandon', 'deadletter', 'management-settle', 'defer', 'competing'].map(
    (name) => ({ name }),
  ),
  // Two deliveries, so one abandon after the first pushes a message past MaxDeliveryCount.
  { name: 'deadletter-peek', maxDeliveryCount: 2 },
];

let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({ queues });
});
afterAll(async () => {
  await sb?.stop();
});

describe('queue send and receive (peek-lock)', () => {
  it('delivers a sent message once, and not again after it is completed', async () => {
    await sb.client.createSender('roundtrip').sendMessages({ body: { hello: 'world' } });
    const receiver = sb.client.createReceiver('roundtrip', noLockRenewal);

    const [message] = await receiveExactly(receiver, 1);
    expect(message?.body).toEqual({ hello: 'world' });
    expect(message?.deliveryCount).toBe(0);
    expect(message?.lockToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(message?.sequenceNumber?.toNumber()).toBe(1);
    expect(message?.enqueuedTimeUtc?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(message?.lockedUntilUtc?.getTime()).toBeGreaterThan(Date.now() + 50_000);

    await receiver.completeMessage(message!);
    expect(await receiveNothing(receiver)).toEqual([]);
  });

  it('keeps what the sender set: ids, subject, reply-to, content type, application properties, binary body', async () => {
    const body = Buffer.from([0, 1, 2, 250, 255]);
    const properties = {
      messageId: 'request-42',
      correlationId: 'corr-42',
      subject: 'orders.create',
      replyTo: 'replies',
      contentType: 'application/octet-stream',
      applicationProperties: { status: 201, requestId: 'r-1', urgent: true, ratio: 0.5 },
    };
    await sb.client.createSender('properties').sendMessages({ body, ...properties });
    const receiver = sb.client.createReceiver('properties', { receiveMode: 'receiveAndDelete' });

    const [message] = await receiveExactly(receiver, 1);
    expect(Buffer.isBuffer(message?.body)).toBe(true);
    expect(Buffer.compare(message?.body as Buffer, body)).toBe(0);
    expect(message).toMatchObject(properties);
  });

  it('unpacks batches from createMessageBatch and sendMessages([...]) into single messages, in order', async () => {
    const sender = sb.client.createSender('batches');
    const batch = await sender.createMessageBatch();
    for (const n of [1, 2, 3]) expect(batch.tryAddMessage({ body: `batch-${n}`, messageId: `b${n}` })).toBe(true);
    await sender.sendMessages(batch);
    await sender.sendMessages([{ body: 'array-1' }, { body: 'array-2' }]);
    const receiver = sb.client.createReceiver('batches', { receiveMode: 'receiveAndDelete' });

    const messages = await receiveExactly(receiver, 5);
    expect(messages.map(bodyOf)).toEqual(['batch-1', 'batch-2', 'batch-3', 'array-1', 'array-2']);
    expect(messages.map((m) => m.sequenceNumber?.toNumber())).toEqual([1, 2, 3, 4, 5]);
    expect(messages[1]?.messageId).toBe('b2');
  });

  it('peeks without locking or removing, and pages on from the last peeked message', async () => {
    await sb.client.createSender('peek').sendMessages([{ body: 'p1' }, { body: 'p2' }, { body: 'p3' }]);
    const receiver = sb.client.createReceiver('peek', noLockRenewal);

    const firstPage = await receiver.peekMessages(2);
    const secondPage = await receiver.peekMessages(2);
    expect(firstPage.map(bodyOf)).toEqual(['p1', 'p2']);
    expect(secondPage.map(bodyOf)).toEqual(['p3']);
    expect(await receiver.peekMessages(1)).toEqual([]);
    expect(firstPage[0]?.lockToken).toBeUndefined();

    const received = await receiveExactly(receiver, 3);
    expect(received.map(bodyOf)).toEqual(['p1', 'p2', 'p3']);
    for (const message of received) await receiver.completeMessage(message);
  });

  it('hands each message to one of several competing receivers', async () => {
    await sb.client.createSender('competing').sendMessages(['c1', 'c2', 'c3', 'c4'].map((body) => ({ body })));
    const [left, right] = [1, 2].map(() => sb.client.createReceiver('competing', { receiveMode: 'receiveAndDelete' }));

    const [fromLeft, fromRight] = await Promise.all([receiveExactly(left!, 2), receiveExactly(right!, 2)]);
    expect([...fromLeft, ...fromRight].map(bodyOf).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('removes messages on delivery in receiveAndDelete mode', async () => {
    await sb.client.createSender('delete-mode').sendMessages({ body: 'once' });
    const receiver = sb.client.createReceiver('delete-mode', { receiveMode: 'receiveAndDelete' });

    expect((await receiveExactly(receiver, 1)).map(bodyOf)).toEqual(['once']);
    expect(await receiveNothing(receiver)).toEqual([]);
    expect(await receiver.peekMessages(5)).toEqual([]);
  });
});

describe('settlement', () => {
  it('redelivers an abandoned message with its delivery count one higher and modified properties', async () => {
    await sb.client.createSender('abandon').sendMessages({ body: 'retry me', messageId: 'a1' });
    const receiver = sb.client.createReceiver('abandon', noLockRenewal);

    const [first] = await receiveExactly(receiver, 1);
    await receiver.abandonMessage(first!, { retriedBy: 'test' });
    const [second] = await receiveExactly(receiver, 1);

    expect(second?.messageId).toBe('a1');
    expect(second?.deliveryCount).toBe((first?.deliveryCount ?? -1) + 1);
    expect(second?.lockToken).not.toBe(first?.lockToken);
    expect(second?.applicationProperties).toMatchObject({ retriedBy: 'test' });
    await receiver.completeMessage(second!);
  });

  it('dead-letters with reason and description, readable from the dead-letter queue', async () => {
    await sb.client.createSender('deadletter').sendMessages({ body: 'poison', messageId: 'd1' });
    const receiver = sb.client.createReceiver('deadletter', noLockRenewal);
    const [message] = await receiveExactly(receiver, 1);
    await receiver.deadLetterMessage(message!, { deadLetterReason: 'Unmatched', deadLetterErrorDescription: 'no such request' });
    expect(await receiveNothing(receiver)).toEqual([]);

    // The dead-letter path is matched without case, as on the service.
    expect(await countMessages(sb.client, 'DeadLetter/$deadletterqueue')).toBe(1);
    const dlq = sb.client.createReceiver('deadletter', { subQueueType: 'deadLetter', ...noLockRenewal });
    const [dead] = await receiveExactly(dlq, 1);
    expect(dead).toMatchObject({
      messageId: 'd1',
      body: 'poison',
      deadLetterReason: 'Unmatched',
      deadLetterErrorDescription: 'no such request',
    });
    // The dead-letter queue numbers its messages itself; this is its first.
    expect(dead?.sequenceNumber?.toNumber()).toBe(1);
    await dlq.completeMessage(dead!);
    expect(await receiveNothing(dlq)).toEqual([]);
  });

  it('peeks the dead-letter queue in its own sequence: messages dead-lettered after a peek are seen by the next', async () => {
    await sb.client.createSender('deadletter-peek').sendMessages(['done', 'a', 'b', 'c'].map((body) => ({ body, messageId: body })));
    const receiver = sb.client.createReceiver('deadletter-peek', noLockRenewal);
    const [done, a, b, c] = await receiveExactly(receiver, 4);
    await receiver.completeMessage(done!);
    await receiver.deadLetterMessage(b!, { deadLetterReason: 'reason b', deadLetterErrorDescription: 'b' });
    await receiver.deadLetterMessage(c!, { deadLetterReason: 'reason c', deadLetterErrorDescription: 'c' });
    await receiver.abandonMessage(a!);

    const dlq = sb.client.createReceiver('deadletter-peek', { subQueueType: 'deadLetter', ...noLockRenewal });
    const seen = (messages: ServiceBusReceivedMessage[]) =>
      messages.map((m) => [bodyOf(m), m.deadLetterReason, m.sequenceNumber?.toNumber()]);
    // Numbered by the dead-letter queue (1, 2), not by the queue they came from (3, 4).
    expect(seen(await dlq.peekMessages(10))).toEqual([
      ['b', 'reason b', 1],
      ['c', 'reason c', 2],
    ]);
    // The oldest message (queue number 2) reaches the dead-letter queue last, past MaxDeliveryCount;
    // the SDK's cursor goes on from the last number it peeked and must still find it.
    const [again] = await receiveExactly(receiver, 1);
    expect(bodyOf(again!)).toBe('a');
    await receiver.abandonMessage(again!);
    expect(seen(await dlq.peekMessages(10))).toEqual([['a', 'MaxDeliveryCountExceeded', 3]]);

    const all = await dlq.peekMessages(10, { fromSequenceNumber: Long.fromNumber(1) });
    expect(seen(all)).toEqual([
      ['b', 'reason b', 1],
      ['c', 'reason c', 2],
      ['a', 'MaxDeliveryCountExceeded', 3],
    ]);
    const afterFirst = await dlq.peekMessages(10, { fromSequenceNumber: all[0]!.sequenceNumber!.add(1) });
    expect(afterFirst.map(bodyOf)).toEqual(['c', 'a']);
    // Peeking neither locked nor removed them.
    expect((await receiveExactly(dlq, 3)).map(bodyOf)).toEqual(['b', 'c', 'a']);
  });

  it('settles through $management once the receiving link is closed (locks outlive links)', async () => {
    await sb.client.createSender('management-settle').sendMessages({ body: 'late' });
    const receiver = sb.client.createReceiver('management-settle', noLockRenewal);
    const [message] = await receiveExactly(receiver, 1);
    await receiver.close();

    const other = sb.client.createReceiver('management-settle', noLockRenewal);
    await other.completeMessage(message!);
    expect(await receiveNothing(other)).toEqual([]);
    expect(await other.peekMessages(1)).toEqual([]);
  });
});

describe('errors the SDK must surface', () => {
  it('refuses links to an entity that does not exist with MessagingEntityNotFound', async () => {
    const send = sb.client.createSender('no-such-queue').sendMessages({ body: 'x' });
    await expect(send).rejects.toMatchObject({ code: 'MessagingEntityNotFound' });
    await expect(send).rejects.toThrow("The messaging entity 'no-such-queue' could not be found");

    const receiver = sb.client.createReceiver('no-such-queue', noLockRenewal);
    await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 })).rejects.toMatchObject({ code: 'MessagingEntityNotFound' });
    await expect(receiver.peekMessages(1)).rejects.toMatchObject({ code: 'MessagingEntityNotFound' });
  });

  it('names sessions as unsupported when a session receiver is requested', async () => {
    // The refusal's attach and detach must not reach the SDK as one (see LinkRouter.refuse).
    const accept = sb.client.acceptSession('roundtrip', 'session-1');
    await expect(accept).rejects.toThrow(/Sessions .*not supported by the local Service Bus emulator/);
    const acceptNext = sb.client.acceptNextSession('roundtrip', { maxAutoLockRenewalDurationInMs: 0 });
    await expect(acceptNext).rejects.toThrow(/Sessions .*not supported by the local Service Bus emulator/);
  });

  it('fails defer clearly and keeps the message (still locked) in the queue', async () => {
    await sb.client.createSender('defer').sendMessages({ body: 'defer me' });
    const receiver = sb.client.createReceiver('defer', noLockRenewal);
    const [message] = await receiveExactly(receiver, 1);

    await expect(receiver.deferMessage(message!)).rejects.toThrow(/Deferring messages.*not supported/);
    expect((await receiver.peekMessages(1)).map(bodyOf)).toEqual(['defer me']);
    expect(await receiveNothing(receiver)).toEqual([]);
  });
});
