// Set-aside Service Bus replies as a resource, over the real stack (local Service Bus endpoint,
// the unmodified SDK): a reply the broker dead-lettered on the gateway's reply subscription and
// replies the gateway set aside are listed, shown and replayed through the reply topic, where the
// intake decides again. The tests find replies by request id and channel, not by place, so they
// hold whether the reply function forwards rejections to the queue or dead-letters them in place.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmulatorConfigFile, type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import { call, expectProblem, idForKey, statusBecomes, submit, uniqueOperation } from './gateway-client.js';
import { type ListedReply, listRejected, purged, rejectedFor, replay } from './rejected-api.js';

const REPO_ROOT = path.join(__dirname, '../..');

let bus: ServiceBusEmulator;
let client: ServiceBusClient;
let stack: GatewayStack;
const requests: ServiceBusReceivedMessage[] = [];
/** A reply the broker dead-lettered (its time to live ran out) before the gateway started. */
const expired = { id: randomUUID(), body: 'expired before anyone read it' };

async function send(entity: string, message: ServiceBusMessage): Promise<void> {
  const sender = client.createSender(entity);
  try {
    await sender.sendMessages(message);
  } finally {
    await sender.close();
  }
}

beforeAll(async () => {
  // The repository's topology, with expired replies dead-lettered on the gateway's subscription.
  const topology = await loadEmulatorConfigFile(path.join(REPO_ROOT, 'servicebus-emulator.json'));
  const topics = (topology.topics ?? []).map((t) =>
    t.name !== 'replies'
      ? t
      : { ...t, subscriptions: t.subscriptions.map((s) => (s.name === 'gateway' ? { ...s, deadLetteringOnMessageExpiration: true } : s)) },
  );
  bus = await startServiceBusEmulator({ port: 0, topology: { ...topology, topics } });
  bus.addSubscription('requests', { name: 'tap' });
  client = new ServiceBusClient(bus.connectionString);

  await send('replies', {
    body: Buffer.from(expired.body),
    contentType: 'text/plain',
    correlationId: expired.id,
    messageId: randomUUID(),
    timeToLive: 50,
  });
  await new Promise((r) => setTimeout(r, 100));
  // A look at the subscription makes the broker move the expired message to its dead-letter queue.
  const look = client.createReceiver('replies', 'gateway');
  expect(await look.peekMessages(10)).toEqual([]);
  await look.close();

  const tap = client.createReceiver('requests', 'tap', { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true });
  tap.subscribe({ processMessage: (m) => Promise.resolve(void requests.push(m)), processError: () => Promise.resolve() });

  stack = await startGatewayStack({
    settings: {
      GATEWAY_REQUEST_CHANNEL: 'servicebus',
      GATEWAY_REQUEST_TOPIC: 'requests',
      GATEWAY_REPLY_TOPIC: 'replies',
      GATEWAY_REPLY_SUBSCRIPTION: 'gateway',
      GATEWAY_REJECTED_REPLY_QUEUE: 'replies-rejected',
      GATEWAY_REPLY_BODIES_CONTAINER: 'reply-bodies',
      ServiceBusConnection: bus.connectionString,
      GATEWAY_RETENTION_HOURS: String(1 / 3600),
      GATEWAY_REJECTED_RETENTION_HOURS: '0',
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await client?.close();
  await bus?.stop();
});

function replyMessage(id: string, body: string, status = 200): ServiceBusMessage {
  return {
    body: Buffer.from(body),
    contentType: 'application/json',
    correlationId: id,
    messageId: randomUUID(),
    applicationProperties: { status },
  };
}

/** Waits for a Service Bus reply for `id` set aside as `reason`. */
async function setAsideMessage(id: string, reason: string): Promise<ListedReply> {
  const listed = await rejectedFor(stack, id, reason);
  expect(listed.channel).toBe('servicebus');
  return listed;
}

describe('set-aside Service Bus replies', () => {
  it('lists and shows a reply the broker dead-lettered on the reply subscription; a replay is judged again (unknown)', async () => {
    const page = await listRejected(stack, { requestId: expired.id });
    expect(page.items).toHaveLength(1);
    const [listed] = page.items as [ListedReply];
    expect(listed).toMatchObject({
      channel: 'servicebus',
      reason: 'TTLExpiredException',
      requestId: expired.id,
      size: expired.body.length,
      contentType: 'text/plain',
    });
    expect(listed.name).toMatch(/^dlq\.\d+$/);
    expect(page.counts).toEqual({ TTLExpiredException: 1 });

    const shown = await call(stack, `rejected/${listed.name}`);
    expect(shown.status, shown.text()).toBe(200);
    expect(shown.json()).toMatchObject({ ...listed, text: expired.body, properties: { $correlationId: expired.id } });

    const replayed = await replay(stack, listed.name);
    expect(replayed.status, replayed.text()).toBe(202);
    expect(replayed.json()).toEqual({ name: listed.name, requestId: expired.id, replayedTo: 'replies' });
    const again = await setAsideMessage(expired.id, 'unknown-request');
    expect(again.name).not.toBe(listed.name);
    expect((await listRejected(stack, { requestId: expired.id })).items.map((i) => i.name)).toEqual([again.name]);
    expectProblem(await call(stack, `rejected/${listed.name}`), 404, 'rejected-not-found');
  });

  it('an unknown reply whose request was started later is delivered on replay', async () => {
    const key = `sb-replay-${randomUUID()}`;
    const id = await idForKey(stack, key);
    await send('replies', replyMessage(id, '{"early":true}', 201));
    const listed = await setAsideMessage(id, 'unknown-request');
    const shown = await call(stack, `rejected/${listed.name}`);
    expect(shown.json()).toMatchObject({ properties: { status: 201 }, text: '{"early":true}' });

    const started = await submit(stack, uniqueOperation('sblater'), '{}', { 'Idempotency-Key': key, Prefer: 'respond-async' });
    expect(started.status, started.text()).toBe(202);
    expect(started.headers.get('x-correlation-id')).toBe(id);

    const replayed = await replay(stack, listed.name);
    expect(replayed.status, replayed.text()).toBe(202);
    await statusBecomes(stack, id, 'Completed');
    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(201);
    expect(result.text()).toBe('{"early":true}');
    expect((await listRejected(stack, { requestId: id })).items).toEqual([]);
  });

  it('a duplicate whose original was purged is still refused on replay', async () => {
    const operation = uniqueOperation('sbdup');
    const [answer, id] = await Promise.all([
      submit(stack, operation),
      eventually(() => requests.find((m) => m.subject === operation), 15_000, `a request message for ${operation}`).then(async (m) => {
        const requestId = String(m.correlationId);
        await send('replies', replyMessage(requestId, '{"first":true}'));
        return requestId;
      }),
    ]);
    expect(answer.status, answer.text()).toBe(200);
    await send('replies', replyMessage(id, '{"second":true}'));
    const duplicate = await setAsideMessage(id, 'duplicate');

    await purged(stack, id);
    expect((await listRejected(stack, { requestId: id })).items.map((i) => i.name)).toEqual([duplicate.name]);

    expect((await replay(stack, duplicate.name)).status).toBe(202);
    const again = await setAsideMessage(id, 'unknown-request');
    const shown = await call(stack, `rejected/${again.name}`);
    expect(shown.json()).toMatchObject({ text: '{"second":true}', properties: { replayOf: duplicate.name } });
    expect((await call(stack, `status/${id}`)).status).toBe(404);
    // It waits for the request to be finished longer than the retention, then for a purge run.
  }, 90_000);
});
