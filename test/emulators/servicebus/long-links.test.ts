import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorWithClient, noLockRenewal, receiveExactly, receiveNothing, startEmulatorWithClient } from './support.js';

// rhea keeps at most 2048 unsettled deliveries per session and direction; a delivery leaves that
// window only once both ends have settled it. More than that through one link shows whether the
// endpoint lets its deliveries go.
const overWindow = 2_100;
const queues = ['one-sender', 'receive-loop', 'subscribe', 'delete-mode'].map((name) => ({ name }));

let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({ queues });
});
afterAll(async () => {
  await sb?.stop();
});

/** Puts `count` messages on a queue in batches (few transfers), numbered from 0. */
async function fill(queue: string, count: number): Promise<void> {
  const sender = sb.client.createSender(queue);
  for (let start = 0; start < count; start += 300) {
    const bodies = Array.from({ length: Math.min(300, count - start) }, (_, i) => ({ body: start + i }));
    await sender.sendMessages(bodies);
  }
  await sender.close();
}

function sortedBodies(messages: readonly ServiceBusReceivedMessage[]): number[] {
  return messages.map((m) => m.body as number).sort((a, b) => a - b);
}

const allNumbers = Array.from({ length: overWindow }, (_, i) => i);

describe(`more than rhea's 2048-delivery session window through one link`, () => {
  it('takes every message sent one by one through one sender', async () => {
    const sender = sb.client.createSender('one-sender');
    for (let start = 0; start < overWindow; start += 100) {
      await Promise.all(allNumbers.slice(start, start + 100).map((n) => sender.sendMessages({ body: n })));
    }
    await sender.close();

    const receiver = sb.client.createReceiver('one-sender', { receiveMode: 'receiveAndDelete' });
    expect(sortedBodies(await receiveExactly(receiver, overWindow, 20_000))).toEqual(allNumbers);
  });

  it('delivers and completes every message through one peek-lock receiver (receiveMessages loop)', async () => {
    await fill('receive-loop', overWindow);
    const receiver = sb.client.createReceiver('receive-loop', noLockRenewal);
    const received: ServiceBusReceivedMessage[] = [];
    while (received.length < overWindow) {
      const batch = await receiver.receiveMessages(200, { maxWaitTimeInMs: 5_000 });
      if (batch.length === 0) break;
      await Promise.all(batch.map((m) => receiver.completeMessage(m)));
      received.push(...batch);
    }
    expect(sortedBodies(received)).toEqual(allNumbers);
    expect(await receiveNothing(receiver)).toEqual([]);
    expect(await receiver.peekMessages(1)).toEqual([]);
  });

  it('delivers and completes every message through one subscribe()', async () => {
    await fill('subscribe', overWindow);
    const receiver = sb.client.createReceiver('subscribe', noLockRenewal);
    const received: ServiceBusReceivedMessage[] = [];
    const errors: Error[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscribe got ${received.length} of ${overWindow}`)), 20_000);
      receiver.subscribe(
        {
          async processMessage(message) {
            await receiver.completeMessage(message);
            received.push(message);
            if (received.length === overWindow) {
              clearTimeout(timer);
              resolve();
            }
          },
          processError(args) {
            errors.push(args.error);
            return Promise.resolve();
          },
        },
        { autoCompleteMessages: false, maxConcurrentCalls: 16 },
      );
    });
    await receiver.close();
    expect(errors).toEqual([]);
    expect(sortedBodies(received)).toEqual(allNumbers);
    const again = sb.client.createReceiver('subscribe', noLockRenewal);
    expect(await again.peekMessages(1)).toEqual([]);
  });

  it('delivers every message through one receiveAndDelete receiver', async () => {
    await fill('delete-mode', overWindow);
    const receiver = sb.client.createReceiver('delete-mode', { receiveMode: 'receiveAndDelete' });
    expect(sortedBodies(await receiveExactly(receiver, overWindow, 20_000))).toEqual(allNumbers);
  });
});
