// The gateway stack with Service Bus on: the local endpoint (port 0, with the repository's
// servicebus-emulator.json, as `npm start` uses it) started before the host, ServiceBusConnection
// pointing at it and requests dispatched to the request topic. What a backend sees and does goes
// through the real SDK: a `tap` subscription on the request topic records every request; the
// rejected-replies queue (the forward fallback) is drained into a list; dead-lettered replies are
// peeked on the gateway subscription's dead-letter queue; the demo backend can run in-process.
// One per e2e test file.
import path from 'node:path';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { runServiceBusBackend, type ServiceBusBackendArgs } from '../../scripts/demo-backend.js';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { type GatewayStack, startGatewayStack } from './gateway-stack.js';
import { eventually, stopInOrder } from './stack.js';

const REPO_ROOT = path.join(__dirname, '../..');

// Explicit, so a developer's local.settings.json cannot change them (the host applies it to unset keys).
export const SERVICE_BUS_SETTINGS = {
  GATEWAY_REQUEST_CHANNEL: 'servicebus',
  GATEWAY_REQUEST_TOPIC: 'requests',
  GATEWAY_REPLY_TOPIC: 'replies',
  GATEWAY_REPLY_SUBSCRIPTION: 'gateway',
  GATEWAY_REJECTED_REPLY_QUEUE: 'replies-rejected',
  GATEWAY_REPLY_BODIES_CONTAINER: 'reply-bodies',
};

export interface ServiceBusStack {
  gateway: GatewayStack;
  bus: ServiceBusEmulator;
  client: ServiceBusClient;
  /** Every request message dispatched so far (a copy, through the `tap` subscription). */
  requests: ServiceBusReceivedMessage[];
  /** Every reply forwarded to the rejected-replies queue so far (the GATEWAY_REPLY_SET_ASIDE=forward fallback). */
  rejected: ServiceBusReceivedMessage[];
  /** Runs the demo backend in-process on the `backend` subscription; resolves to its stop. */
  startBackend(options?: Partial<Pick<ServiceBusBackendArgs, 'delayMs' | 'status'>>): () => Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceBusStack(settings: Record<string, string> = {}): Promise<ServiceBusStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    await stopInOrder(stops.splice(0).reverse());
  };
  try {
    const bus = await startServiceBusEmulator({ port: 0, topology: path.join(REPO_ROOT, 'servicebus-emulator.json') });
    stops.push(() => bus.stop());
    bus.addSubscription('requests', { name: 'tap' });
    const client = new ServiceBusClient(bus.connectionString);
    stops.push(() => client.close());

    const requests: ServiceBusReceivedMessage[] = [];
    const rejected: ServiceBusReceivedMessage[] = [];
    for (const [list, receiver] of [
      [requests, client.createReceiver('requests', 'tap', { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true })],
      [rejected, client.createReceiver('replies-rejected', { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true })],
    ] as const) {
      const subscription = receiver.subscribe({
        processMessage: (message) => Promise.resolve(void list.push(message)),
        processError: () => Promise.resolve(),
      });
      stops.push(async () => {
        await subscription.close();
        await receiver.close();
      });
    }

    const gateway = await startGatewayStack({
      settings: { ...SERVICE_BUS_SETTINGS, ...settings, ServiceBusConnection: bus.connectionString },
    });
    stops.push(() => gateway.stop());
    return {
      gateway,
      bus,
      client,
      requests,
      rejected,
      startBackend(options = {}) {
        const abort = new AbortController();
        const running = runServiceBusBackend(
          {
            via: 'servicebus',
            delayMs: 0,
            ...options,
            connection: bus.connectionString,
            topic: 'requests',
            subscription: 'backend',
            fallbackReplyTo: 'replies',
            storage: gateway.connectionString,
          },
          abort.signal,
          (line) => gateway.log.log('backend', line),
        );
        const stopBackend = async () => {
          abort.abort();
          await running;
        };
        stops.push(stopBackend);
        return stopBackend;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits for the (first) request dispatched for `operation`, as a backend would see it. */
export function nextRequestMessage(stack: ServiceBusStack, operation: string): Promise<ServiceBusReceivedMessage> {
  return eventually(() => stack.requests.find((m) => m.subject === operation), 15_000, `a request message for ${operation}`);
}

/** Sends `message` to the reply topic, as a backend does. */
export async function sendToReplyTopic(stack: ServiceBusStack, message: ServiceBusMessage): Promise<void> {
  const sender = stack.client.createSender('replies');
  try {
    await sender.sendMessages(message);
  } finally {
    await sender.close();
  }
}

/**
 * Every reply message dead-lettered on the gateway's subscription so far, read with the SDK's
 * dead-letter receiver by peeking, so the dead-letter queue keeps them for whoever reads it next.
 * A client of its own each time: the SDK continues a peek where the last one on the same client
 * and entity stopped.
 */
export async function peekDeadLetters(stack: ServiceBusStack): Promise<ServiceBusReceivedMessage[]> {
  const { GATEWAY_REPLY_TOPIC: topic, GATEWAY_REPLY_SUBSCRIPTION: subscription } = SERVICE_BUS_SETTINGS;
  const client = new ServiceBusClient(stack.bus.connectionString);
  try {
    const dlq = client.createReceiver(topic, subscription, { subQueueType: 'deadLetter', skipParsingBodyAsJson: true });
    const all: ServiceBusReceivedMessage[] = [];
    for (;;) {
      const page = await dlq.peekMessages(100);
      all.push(...page);
      if (page.length === 0) return all;
    }
  } finally {
    await client.close();
  }
}

/** The dead-lettered replies whose correlationId (or, failing that, messageId) is `key`, once there are `count`. */
export function deadLettered(stack: ServiceBusStack, key: string, count = 1): Promise<ServiceBusReceivedMessage[]> {
  return eventually(
    async () => {
      const found = (await peekDeadLetters(stack)).filter((m) => (m.correlationId ?? m.messageId) === key);
      return found.length >= count ? found : undefined;
    },
    20_000,
    `${count} dead-lettered repl${count === 1 ? 'y' : 'ies'} for ${key}`,
  );
}

/** The replies set aside whose correlationId (or, failing that, messageId) is `key`, once there is one. */
export function rejectedReplies(stack: ServiceBusStack, key: string, count = 1): Promise<ServiceBusReceivedMessage[]> {
  return eventually(
    () => {
      const found = stack.rejected.filter((m) => (m.correlationId ?? m.messageId) === key);
      return found.length >= count ? found : undefined;
    },
    20_000,
    `${count} rejected repl${count === 1 ? 'y' : 'ies'} for ${key}`,
  );
}
