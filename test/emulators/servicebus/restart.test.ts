import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator, type Topology } from '../../../src/emulators/servicebus/index.js';
import { eventually } from '../../support/stack.js';
import { bodyOf, receiveExactly } from './support.js';

// A stop and start of the endpoint on the same port, with the same SDK client kept open
// throughout, as an application sees a broker go away and come back. The client must notice the
// drop and reconnect by itself: its next send (on the sender it already had, or a new one)
// is delivered, and a subscribed receiver picks up again.

const topology: Topology = { queues: [{ name: 'jobs' }, { name: 'events' }] };

let dataDir: string;
let bus: ServiceBusEmulator | undefined;
let client: ServiceBusClient | undefined;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-restart-'));
});
afterEach(async () => {
  await client?.close();
  await bus?.stop();
  client = bus = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(port = 0): Promise<ServiceBusEmulator> {
  bus = await startServiceBusEmulator({ port, topology, dataDir });
  return bus;
}

describe('endpoint stopped and started again on the same port', () => {
  it('an open client reconnects: its existing sender, a new sender and a subscribed receiver all work again', async () => {
    const first = await start();
    client = new ServiceBusClient(first.connectionString, {
      // A stale connection shows as a timeout, then an error: a few short tries, not minutes.
      retryOptions: { maxRetries: 2, retryDelayInMs: 100, timeoutInMs: 5_000 },
    });
    const sender = client.createSender('jobs');
    await sender.sendMessages({ body: 'before', messageId: 'job-1' });

    const events: ServiceBusReceivedMessage[] = [];
    const errors: unknown[] = [];
    const subscription = client.createReceiver('events', { receiveMode: 'receiveAndDelete' }).subscribe({
      processMessage: (message) => Promise.resolve(void events.push(message)),
      processError: (args) => Promise.resolve(void errors.push(args.error)),
    });
    await client.createSender('events').sendMessages({ body: 'event before' });
    await eventually(() => events.find((m) => bodyOf(m) === 'event before'), 10_000, 'the event sent before the restart');

    await first.stop();
    const second = await start(first.port);
    expect(second.port).toBe(first.port);

    // The sender opened before the stop, then one created after the restart.
    await sender.sendMessages({ body: 'after, same sender', messageId: 'job-2' });
    const newSender = client.createSender('jobs');
    await newSender.sendMessages({ body: 'after, new sender', messageId: 'job-3' });
    const received = await receiveExactly(client.createReceiver('jobs'), 3);
    // The message acknowledged before the stop is back from the journal, then the two sent after.
    expect(received.map((m) => [m.messageId, bodyOf(m)])).toEqual([
      ['job-1', 'before'],
      ['job-2', 'after, same sender'],
      ['job-3', 'after, new sender'],
    ]);

    // The streaming receiver is recovered by the SDK on the new connection.
    await client.createSender('events').sendMessages({ body: 'event after' });
    await eventually(() => events.find((m) => bodyOf(m) === 'event after'), 15_000, 'the event sent after the restart');
    expect(events.map(bodyOf)).toEqual(['event before', 'event after']);
    await subscription.close();
  });
});
