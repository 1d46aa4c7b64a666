import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../../src/emulators/servicebus/index.js';
import {
  bodyOf,
  countMessages,
  type EmulatorWithClient,
  noLockRenewal,
  receiveExactly,
  receiveNothing,
  startEmulatorWithClient,
} from './support.js';

let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({
    topics: [
      ...(defaultTopology.topics ?? []),
      { name: 'fanout', subscriptions: [{ name: 'first' }, { name: 'second' }] },
      { name: 'filtered', subscriptions: [{ name: 'orders', filters: [{ subject: 'order' }] }, { name: 'everything' }] },
      { name: 'streaming', subscriptions: [{ name: 'worker' }] },
    ],
  });
});
afterAll(async () => {
  await sb?.stop();
});

/** Collects what a subscribe() handler sees until `count` messages arrived. */
function collect(count: number): { messages: ServiceBusReceivedMessage[]; done: Promise<void>; add(m: ServiceBusReceivedMessage): void } {
  const messages: ServiceBusReceivedMessage[] = [];
  let resolve = (): void => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    messages,
    done,
    add(message) {
      messages.push(message);
      if (messages.length === count) resolve();
    },
  };
}

describe('topics', () => {
  it('serves the default topology the gateway uses: requests → backend, replies → gateway', async () => {
    await sb.client.createSender('requests').sendMessages({ body: 'do it', messageId: 'req-1', replyTo: 'replies' });
    await sb.client.createSender('replies').sendMessages({ body: 'done', correlationId: 'req-1' });

    const backend = sb.client.createReceiver('requests', 'backend', { receiveMode: 'receiveAndDelete' });
    const gateway = sb.client.createReceiver('replies', 'gateway', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(backend, 1))[0]).toMatchObject({ messageId: 'req-1', replyTo: 'replies' });
    expect((await receiveExactly(gateway, 1))[0]).toMatchObject({ correlationId: 'req-1', body: 'done' });
  });

  it('copies each message to every subscription, each settled on its own', async () => {
    await sb.client.createSender('fanout').sendMessages({ body: 'to all', messageId: 'f1' });
    const first = sb.client.createReceiver('fanout', 'first', noLockRenewal);
    const second = sb.client.createReceiver('fanout', 'second', noLockRenewal);

    const [a] = await receiveExactly(first, 1);
    const [b] = await receiveExactly(second, 1);
    expect([a?.messageId, b?.messageId]).toEqual(['f1', 'f1']);
    expect([a?.body, b?.body]).toEqual(['to all', 'to all']);

    await first.completeMessage(a!);
    await second.abandonMessage(b!);
    expect(await receiveNothing(first)).toEqual([]);
    const [again] = await receiveExactly(second, 1);
    expect(again?.deliveryCount).toBe(1);
    await second.completeMessage(again!);
  });

  it('copies only matching messages to a subscription with a correlation filter', async () => {
    await sb.client.createSender('filtered').sendMessages([
      { body: 1, subject: 'order' },
      { body: 2, subject: 'invoice' },
    ]);
    const orders = sb.client.createReceiver('filtered', 'orders', { receiveMode: 'receiveAndDelete' });
    const everything = sb.client.createReceiver('filtered', 'everything', { receiveMode: 'receiveAndDelete' });

    expect((await receiveExactly(everything, 2)).map(bodyOf)).toEqual([1, 2]);
    expect((await receiveExactly(orders, 1)).map((m) => m.subject)).toEqual(['order']);
    expect(await receiveNothing(orders)).toEqual([]);
  });

  it('dead-letters from a subscription into its own dead-letter queue', async () => {
    await sb.client.createSender('fanout').sendMessages({ body: 'bad reply', messageId: 'dl-1' });
    const first = sb.client.createReceiver('fanout', 'first', noLockRenewal);
    const [message] = await receiveExactly(first, 1);
    await first.deadLetterMessage(message!, { deadLetterReason: 'Late', deadLetterErrorDescription: 'request already finished' });

    const dlq = sb.client.createReceiver('fanout', 'first', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' });
    const [dead] = await receiveExactly(dlq, 1);
    expect(dead).toMatchObject({ messageId: 'dl-1', deadLetterReason: 'Late', deadLetterErrorDescription: 'request already finished' });
    const secondDlq = sb.client.createReceiver('fanout', 'second', { subQueueType: 'deadLetter' });
    expect(await secondDlq.peekMessages(5)).toEqual([]);
    // The copy in the other subscription is untouched.
    const second = sb.client.createReceiver('fanout', 'second', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(second, 1))[0]?.messageId).toBe('dl-1');
  });

  it('names run-time rule management as unsupported', async () => {
    const rules = sb.client.createRuleManager('fanout', 'first');
    await expect(rules.createRule('only-orders', { sqlExpression: "sys.Label = 'order'" })).rejects.toThrow(
      /Subscription rules at run time \(createRule\) is not supported/,
    );
  });

  it('refuses a receiver on the topic itself', async () => {
    const receive = sb.client.createReceiver('fanout', noLockRenewal).receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await expect(receive).rejects.toThrow(/Cannot receive from topic 'fanout'/);
  });
});

describe('subscribe() (streaming receiver, as a trigger uses it)', () => {
  it('hands every message to the handler and completes it', async () => {
    await sb.client.createSender('streaming').sendMessages([{ body: 's1' }, { body: 's2' }, { body: 's3' }]);
    const receiver = sb.client.createReceiver('streaming', 'worker', noLockRenewal);
    const seen = collect(3);
    const errors: unknown[] = [];

    const subscription = receiver.subscribe(
      {
        processMessage: async (message) => {
          await receiver.completeMessage(message);
          seen.add(message);
        },
        processError: ({ error }) => {
          errors.push(error);
          return Promise.resolve();
        },
      },
      { autoCompleteMessages: false },
    );
    await seen.done;
    await subscription.close();

    expect(seen.messages.map(bodyOf)).toEqual(['s1', 's2', 's3']);
    expect(errors).toEqual([]);
    expect(await countMessages(sb.client, 'streaming', 'worker')).toBe(0);
  });

  it('gets an abandoned message back, and auto-completes it when the handler returns', async () => {
    await sb.client.createSender('streaming').sendMessages({ body: 'flaky' });
    const receiver = sb.client.createReceiver('streaming', 'worker', noLockRenewal);
    const seen = collect(2);

    const subscription = receiver.subscribe({
      processMessage: async (message) => {
        seen.add(message);
        if (message.deliveryCount === 0) await receiver.abandonMessage(message);
      },
      processError: () => Promise.resolve(),
    });
    await seen.done;
    await subscription.close();

    expect(seen.messages.map((m) => m.deliveryCount)).toEqual([0, 1]);
    // Auto-completion runs after the handler returns, so it may land after close() via $management.
    await expect.poll(() => countMessages(sb.client, 'streaming', 'worker')).toBe(0);
  });
});
