// The console's reply form with Service Bus on: it offers both channels, prefers the one the
// request went out on, and its reply travels as a reply-topic message through the gateway's
// Service Bus trigger to the blocked caller. Real local Service Bus endpoint, host and Azurite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRequestMessage, type ServiceBusStack, startServiceBusStack } from '../support/servicebus-stack.js';
import { call, submit, uniqueOperation } from './gateway-client.js';

let stack: ServiceBusStack;

beforeAll(async () => {
  stack = await startServiceBusStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('the console with Service Bus on', () => {
  it('answers a blocked caller with a reply-topic message, the channel its request went out on', async () => {
    const gateway = stack.gateway;
    const listing = (await call(gateway, 'console/requests')).json<{ replyChannels: unknown }>();
    expect(listing.replyChannels).toEqual({ channels: ['blob', 'servicebus'], preferred: 'servicebus' });

    const operation = uniqueOperation('console-sb');
    const caller = submit(gateway, operation, '{"q":1}', { prefer: 'wait=50' });
    const id = String((await nextRequestMessage(stack, operation)).correlationId);
    const sent = await call(gateway, `console/requests/${id}/reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: '<ok/>', contentType: 'application/xml', status: 201 }),
    });
    expect(sent.status, sent.text()).toBe(202);
    expect(sent.json()).toEqual({ id, via: 'servicebus', sentTo: 'topic replies' });
    const answer = await caller;
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/xml');
    expect(answer.text()).toBe('<ok/>');
    expect(answer.headers.get('x-correlation-id')).toBe(id);
  });
});
