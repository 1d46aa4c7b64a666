import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EndpointProcess, startEndpointProcess } from './endpoint-process.js';
import { countMessages, noLockRenewal, receiveExactly, receiveNothing } from './support.js';

// A crash of the endpoint (SIGKILL of a real child process) loses nothing that was acknowledged:
// messages, delivery counts, dead-letter queues, scheduled messages and duplicate-detection history
// come back from the data folder, byte for byte, when it restarts.

const config = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [{ Name: 'jobs', Properties: { RequiresDuplicateDetection: true, DuplicateDetectionHistoryTimeWindow: 'PT10M' } }],
        Topics: [{ Name: 'orders', Subscriptions: [{ Name: 'backend', Properties: { MaxDeliveryCount: 3 } }, { Name: 'audit' }] }],
      },
    ],
  },
};

let dataDir: string;
let configFile: string;
const processes: EndpointProcess[] = [];
const clients: ServiceBusClient[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-durable-'));
  configFile = path.join(dataDir, 'Config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  for (const endpoint of processes.splice(0)) await endpoint.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServiceBusClient> {
  const endpoint = await startEndpointProcess(['--config', configFile, '--data', path.join(dataDir, 'journal')]);
  processes.push(endpoint);
  const client = new ServiceBusClient(endpoint.connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 10_000 },
  });
  clients.push(client);
  return client;
}

/** SIGKILL the running endpoint; its client is dropped without a goodbye. */
async function crash(): Promise<void> {
  for (const endpoint of processes.splice(0)) await endpoint.kill();
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
}

const sent = {
  body: Buffer.from([0, 1, 2, 250, 255, 10, 13]),
  messageId: 'order-1',
  correlationId: 'corr-1',
  subject: 'created',
  contentType: 'application/octet-stream',
  replyTo: 'replies',
  timeToLive: 3_600_000,
  applicationProperties: { tenant: 'contoso', attempt: 3, urgent: true, at: new Date('2026-01-02T03:04:05.000Z') },
};

function sameAsSent(message: ServiceBusReceivedMessage | undefined): void {
  expect(Buffer.isBuffer(message?.body)).toBe(true);
  expect(Buffer.compare(message?.body as Buffer, sent.body)).toBe(0);
  expect(message).toMatchObject({
    messageId: sent.messageId,
    correlationId: sent.correlationId,
    subject: sent.subject,
    contentType: sent.contentType,
    replyTo: sent.replyTo,
    timeToLive: sent.timeToLive,
    // The SDK reads a timestamp application property back as epoch milliseconds, restart or not.
    applicationProperties: { ...sent.applicationProperties, at: sent.applicationProperties.at.getTime() },
  });
}

describe('durable endpoint (--data)', () => {
  it('after SIGKILL, every pending message of a topic subscription and a queue comes back exactly as sent, delivery counts included', async () => {
    let client = await start();
    await client
      .createSender('orders')
      .sendMessages([sent, { body: 'second', messageId: 'order-2' }, { body: 'third', messageId: 'order-3' }]);
    await client.createSender('jobs').sendMessages({ body: { job: 42, name: 'ünïcode' }, messageId: 'job-1' });

    const backend = client.createReceiver('orders', 'backend', noLockRenewal);
    const [first, second, third] = await receiveExactly(backend, 3);
    await backend.abandonMessage(first!); // delivery count 1, acknowledged
    await backend.deadLetterMessage(second!, { deadLetterReason: 'Rejected', deadLetterErrorDescription: 'bad order' });
    expect(third?.messageId).toBe('order-3'); // left locked at the crash: counts as a delivery, like an expired lock
    await crash();

    client = await start();
    const backendAgain = client.createReceiver('orders', 'backend', noLockRenewal);
    const back = await receiveExactly(backendAgain, 2);
    expect(back.map((message) => [message.messageId, message.deliveryCount, message.sequenceNumber?.toNumber()])).toEqual([
      ['order-1', 1, 1],
      ['order-3', 1, 3],
    ]);
    sameAsSent(back[0]);
    const [deadLettered] = await receiveExactly(
      client.createReceiver('orders', 'backend', { subQueueType: 'deadLetter', ...noLockRenewal }),
      1,
    );
    expect(deadLettered).toMatchObject({
      messageId: 'order-2',
      body: 'second',
      deadLetterReason: 'Rejected',
      deadLetterErrorDescription: 'bad order',
    });
    // Numbered by the dead-letter queue itself, and its counter came back: the next message it
    // takes is numbered on, so peeks that page by number do not miss it.
    expect(deadLettered?.sequenceNumber?.toNumber()).toBe(1);
    await backendAgain.deadLetterMessage(back[0]!, { deadLetterReason: 'Rejected', deadLetterErrorDescription: 'after restart' });
    const peeked = await client
      .createReceiver('orders', 'backend', { subQueueType: 'deadLetter' })
      .peekMessages(10, { fromSequenceNumber: Long.fromNumber(2) });
    expect(peeked.map((message) => [message.messageId, message.sequenceNumber?.toNumber()])).toEqual([['order-1', 2]]);

    // The other subscription never received anything: all three wait there, the first byte for byte.
    const audit = await receiveExactly(client.createReceiver('orders', 'audit', noLockRenewal), 3);
    expect(audit.map((message) => [message.messageId, message.deliveryCount])).toEqual([
      ['order-1', 0],
      ['order-2', 0],
      ['order-3', 0],
    ]);
    sameAsSent(audit[0]);
    const [job] = await receiveExactly(client.createReceiver('jobs', noLockRenewal), 1);
    expect(job).toMatchObject({ body: { job: 42, name: 'ünïcode' }, messageId: 'job-1', deliveryCount: 0 });
  });

  it('a send, complete or schedule acknowledged just before SIGKILL is kept; duplicate detection remembers across it', async () => {
    let client = await start();
    const sender = client.createSender('jobs');
    const due = new Date(Date.now() + 2_000);
    const [scheduled] = await sender.scheduleMessages({ body: 'scheduled', messageId: 'job-later' }, due);
    await sender.sendMessages([
      { body: 'a', messageId: 'job-a' },
      { body: 'b', messageId: 'job-b' },
    ]);
    const receiver = client.createReceiver('jobs', noLockRenewal);
    const [a] = await receiveExactly(receiver, 1);
    await receiver.completeMessage(a!);
    await sender.sendMessages({ body: 'c', messageId: 'job-c' });
    await crash(); // straight after the last acknowledgement

    client = await start();
    // Already seen before the crash: accepted and dropped.
    await client.createSender('jobs').sendMessages({ body: 'b again', messageId: 'job-b' });
    const again = client.createReceiver('jobs', noLockRenewal);
    const received = await receiveExactly(again, 2);
    expect(received.map((message) => message.body as unknown)).toEqual(['b', 'c']);
    for (const message of received) await again.completeMessage(message);
    expect(await receiveNothing(again)).toEqual([]);

    const [later] = await receiveExactly(again, 1);
    expect(later).toMatchObject({ body: 'scheduled', messageId: 'job-later' });
    expect(later?.sequenceNumber?.toNumber()).toBe(scheduled?.toNumber());
    expect(later?.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(due.getTime());
    await again.completeMessage(later!);
    await crash();

    // What was completed stays completed.
    client = await start();
    expect(await countMessages(client, 'jobs')).toBe(0);
  });

  it('refuses to start when the data folder holds messages for an entity the topology dropped', async () => {
    const client = await start();
    await client.createSender('jobs').sendMessages({ body: 'keep me' });
    await crash();
    fs.writeFileSync(configFile, JSON.stringify({ UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: [], Topics: [] }] } }));
    await expect(start()).rejects.toThrow(/holds messages for 'jobs'.*no longer has/);
  });
});
