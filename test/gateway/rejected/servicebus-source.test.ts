// The Service Bus places of set-aside replies against the local endpoint with the unmodified SDK:
// peeking is repeatable, expiry completes exactly the old messages (at most `max`), a replay
// sends the reply back to the reply topic without its rejection properties and removes it from
// the dead-letter queue, and a place that does not exist is empty.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../../src/emulators/servicebus/index.js';
import { GatewayError } from '../../../src/gateway/errors.js';
import { ServiceBusRejectedSource } from '../../../src/gateway/rejected/servicebus-source.js';
import { type ServiceBusPort, serviceBusFor } from '../../../src/gateway/servicebus-port.js';

let bus: ServiceBusEmulator;
let client: ServiceBusClient;
let port: ServiceBusPort;

beforeAll(async () => {
  bus = await startServiceBusEmulator({ port: 0, topology: path.join(__dirname, '../../../servicebus-emulator.json') });
  client = new ServiceBusClient(bus.connectionString);
  port = serviceBusFor(bus.connectionString);
});
afterAll(async () => {
  await port?.close();
  await client?.close();
  await bus?.stop();
});

const settings = { rejectedQueue: 'replies-rejected', replyTopic: 'replies', replySubscription: 'gateway' };

async function locals(source: ServiceBusRejectedSource): Promise<string[]> {
  const found: string[] = [];
  for await (const r of source.scan({}, 1000)) found.push(r.local);
  return found;
}

async function forward(count: number): Promise<void> {
  const sender = client.createSender('replies-rejected');
  for (let i = 0; i < count; i++) {
    await sender.sendMessages({
      body: Buffer.from(`r${i}`),
      correlationId: randomUUID(),
      applicationProperties: { DeadLetterReason: 'late', DeadLetterErrorDescription: 'too late' },
    });
  }
  await sender.close();
}

describe('the forward queue', () => {
  it('expires exactly the messages that reached the broker before the cutoff, at most max per run', async () => {
    const queue = new ServiceBusRejectedSource('queue', port, settings);
    await forward(3);
    const old = await locals(queue);
    expect(old).toHaveLength(3);
    // Peeking twice sees the same messages (the position is passed on every peek).
    expect(await locals(queue)).toEqual(old);
    await new Promise((r) => setTimeout(r, 30));
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 30));
    await forward(2);
    const all = await locals(queue);
    const recent = all.filter((l) => !old.includes(l));
    expect(recent).toHaveLength(2);

    expect(await queue.expire(cutoff, 1)).toBe(1);
    expect(await locals(queue)).toEqual(all.slice(1));
    expect(await queue.expire(cutoff, 100)).toBe(2);
    expect(await locals(queue)).toEqual(recent);
    expect(await queue.expire(cutoff, 100)).toBe(0);

    const [shown, behind] = await Promise.all(recent.map((l) => queue.show(l)));
    expect(shown).toMatchObject({ channel: 'servicebus', reason: 'late', description: 'too late', text: 'r0' });
    // Only the old ones were received: the recent ones behind them were never locked.
    expect([shown?.properties.$deliveryCount, behind?.properties.$deliveryCount]).toEqual([0, 0]);

    // A replay locks the ones ahead of it (abandoned, counted) and nothing behind it.
    const receipt = await queue.replay(recent[1] ?? '');
    expect(receipt.name).toBe(`queue.${recent[1]}`);
    expect(await locals(queue)).toEqual([recent[0]]);
    expect((await queue.show(recent[0] ?? ''))?.properties.$deliveryCount).toBe(1);
    const drain = client.createReceiver('replies', 'gateway', { receiveMode: 'receiveAndDelete' });
    expect((await drain.receiveMessages(1, { maxWaitTimeInMs: 5000 })).map((m) => m.applicationProperties?.replayOf)).toEqual([
      receipt.name,
    ]);
    await drain.close();
    expect(await queue.show('999999')).toBeUndefined();
    await queue.expire(new Date(Date.now() + 1000), 100);
  });
});

describe("the reply subscription's dead-letter queue", () => {
  it('replays a dead-lettered reply to the reply topic, as it came, without its rejection, and removes it', async () => {
    const id = randomUUID();
    const sender = client.createSender('replies');
    await sender.sendMessages({
      body: Buffer.from('{"a":1}'),
      contentType: 'application/json',
      correlationId: id,
      subject: 'quote',
      applicationProperties: { status: 201 },
    });
    await sender.close();
    const receiver = client.createReceiver('replies', 'gateway');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    expect(message).toBeDefined();
    await receiver.deadLetterMessage(message!, {
      deadLetterReason: 'late',
      deadLetterErrorDescription: 'request timed out before this reply',
    });

    const dlq = new ServiceBusRejectedSource('dlq', port, settings);
    const [held] = await locals(dlq);
    expect(held).toBeDefined();
    const shown = await dlq.show(held!);
    expect(shown).toMatchObject({ reason: 'late', description: 'request timed out before this reply', requestId: id, text: '{"a":1}' });

    const receipt = await dlq.replay(held!);
    expect(receipt).toEqual({ name: `dlq.${held}`, requestId: id, replayedTo: 'replies' });
    expect(await locals(dlq)).toEqual([]);
    const [back] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    expect(back?.correlationId).toBe(id);
    expect(back?.subject).toBe('quote');
    expect(back?.contentType).toBe('application/json');
    expect(back?.messageId).not.toBe(message!.messageId);
    expect(back?.applicationProperties).toEqual({ status: 201, replayOf: `dlq.${held}` });
    expect(back?.deadLetterReason).toBeUndefined();
    await receiver.completeMessage(back!);
    await receiver.close();

    await expect(dlq.replay(held!)).rejects.toMatchObject({ code: 'rejected-not-found' });
  });
});

describe('a place that does not exist', () => {
  it('is empty: nothing listed, nothing expired, a replay is not found', async () => {
    const missing = new ServiceBusRejectedSource('queue', port, { ...settings, rejectedQueue: 'no-such-queue' });
    expect(await locals(missing)).toEqual([]);
    expect(await missing.expire(new Date(), 10)).toBe(0);
    await expect(missing.replay('1')).rejects.toBeInstanceOf(GatewayError);
  });
});
