// Bad replies of every kind on the Service Bus channel, all at once beside good ones: unknown
// ids, no id, an id outside the alphabet, a `status` property that is none, empty bodies
// without a status, JSON that is not JSON or not UTF-8, a duplicate, a late one. Each is
// dead-lettered with its reason and counted by GET /api/rejected; the good replies (one of them
// 200 KB, by claim check) answer their requests; none is lost: the gateway subscription ends
// drained, the forward queue empty. Each kind alone is in test/e2e/servicebus-replies.test.ts;
// this is the batch and the count.
import { randomUUID } from 'node:crypto';
import type { ServiceBusMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusStack, sendToReplyTopic, startServiceBusStack } from '../support/servicebus-stack.js';
import { eventually } from '../support/stack.js';
import { expectSetAsideExactly, setTheScene } from './bad-replies.js';

let stack: ServiceBusStack;

beforeAll(async () => {
  stack = await startServiceBusStack();
});
afterAll(async () => {
  await stack?.stop();
});

function message(
  correlationId: string | undefined,
  body: Buffer | string,
  contentType: string,
  properties: Record<string, string> = {},
): ServiceBusMessage {
  return {
    body: typeof body === 'string' ? Buffer.from(body) : body,
    contentType,
    messageId: randomUUID(),
    ...(correlationId === undefined ? {} : { correlationId }),
    applicationProperties: properties,
  };
}

describe('bad replies on the Service Bus channel', () => {
  it('are dead-lettered with a reason and counted, the good ones answer, none is lost', async () => {
    const gateway = stack.gateway;
    const scene = await setTheScene(gateway, (id, body, contentType) => sendToReplyTopic(stack, message(id, body, contentType)));
    const { badStatus, empty, notUtf8, notJson, answeredTwice, canceled } = scene.targets;

    const bad = [
      // unknown-request ×3 (after the grace period)
      ...Array.from({ length: 3 }, () => message(randomUUID(), '{}', 'application/json')),
      // malformed ×6: no id, an id outside the alphabet, a status that is none, empty without status, bytes that aren't their JSON
      message(undefined, '{}', 'application/json'),
      message('abc/../def', '{}', 'application/json'),
      message(badStatus, '{}', 'application/json', { status: 'soon' }),
      message(empty, '', 'application/json'),
      message(notUtf8, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json'),
      message(notJson, '{"a":', 'application/vnd.acme+json'),
      // duplicate ×1, late ×1
      message(answeredTwice, '{"second":true}', 'application/json'),
      message(canceled, '{"late":true}', 'application/json'),
    ];
    for (const m of bad) await sendToReplyTopic(stack, m);
    const list = await expectSetAsideExactly(gateway, { 'unknown-request': 3, malformed: 6, duplicate: 1, late: 1 });
    expect(new Set(list.items.map((i) => i.channel))).toEqual(new Set(['servicebus']));
    expect(list.items.every((i) => i.name.startsWith('dlq.'))).toBe(true);

    await scene.answerTheRest(200 * 1024);
    // None lost on the way: nothing forwarded elsewhere, nothing left on the gateway subscription.
    expect(stack.rejected).toEqual([]);
    const live = stack.client.createReceiver('replies', 'gateway');
    try {
      await eventually(
        async () => ((await live.peekMessages(10)).length === 0 ? true : undefined),
        15_000,
        'the gateway subscription to drain',
      );
    } finally {
      await live.close();
    }
  }, 90_000);
});
