// Idempotency-Key attempts as a Service Bus backend sees them (the local host, Azurite and the
// local Service Bus endpoint, through the real SDK; the stack from idempotency-stack.ts): a retry
// after a 504 is a second request message with the same correlation id, the attempt number as an
// application property and its own messageId (so duplicate detection would not drop it), and the
// reply to it answers the retry.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceBusStack } from '../support/servicebus-stack.js';
import { sendToReplyTopic } from '../support/servicebus-stack.js';
import { eventually } from '../support/stack.js';
import { expectProblem, idForKey, submit, uniqueOperation } from './gateway-client.js';
import { startIdempotencyServiceBusStack } from './idempotency-stack.js';

let stack: ServiceBusStack;

beforeAll(async () => {
  stack = await startIdempotencyServiceBusStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('a retry after a 504, over Service Bus', () => {
  it('is attempt 2 of the same request: same correlation id, attempt property 2, its own messageId; its reply answers', async () => {
    const operation = uniqueOperation('sbretry');
    const key = `sbretry-${operation}`;
    const id = await idForKey(stack.gateway, key);
    const headers = { 'idempotency-key': key };
    const attempt = (n: number) =>
      eventually(
        () => stack.requests.find((m) => m.subject === operation && m.applicationProperties?.attempt === n),
        15_000,
        `attempt ${n} of ${operation} on the request topic`,
      );

    expectProblem(await submit(stack.gateway, operation, '{"q":1}', { ...headers, prefer: 'wait=1' }), 504, 'sync-wait-expired', id);
    const first = await attempt(1);
    expect(first).toMatchObject({ correlationId: id, messageId: id });

    const retry = submit(stack.gateway, operation, '{"q":1}', headers);
    const second = await attempt(2);
    expect(second).toMatchObject({ correlationId: id, messageId: `${id}.2`, applicationProperties: { requestId: id } });
    expect(Buffer.from(second.body as Uint8Array).toString()).toBe('{"q":1}');

    await sendToReplyTopic(stack, {
      body: Buffer.from('{"ok":2}'),
      contentType: 'application/json',
      correlationId: id,
      messageId: randomUUID(),
    });
    const answer = await retry;
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.json()).toEqual({ ok: 2 });
  });
});
