import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';
import {
  type ServiceBusEmulator,
  type ServiceBusEmulatorOptions,
  startServiceBusEmulator,
  type Topology,
} from '../../../src/emulators/servicebus/index.js';

export interface EmulatorWithClient {
  readonly emulator: ServiceBusEmulator;
  readonly client: ServiceBusClient;
  /** Closes the SDK client first (so it does not reconnect), then the emulator. */
  stop(): Promise<void>;
}

/** A real emulator on a free port and an unmodified SDK client pointed at it. */
export async function startEmulatorWithClient(
  topology: Topology | string,
  options: Omit<ServiceBusEmulatorOptions, 'port' | 'topology'> = {},
): Promise<EmulatorWithClient> {
  const emulator = await startServiceBusEmulator({ ...options, port: 0, topology });
  const client = new ServiceBusClient(emulator.connectionString, {
    // Fail fast: a test that hits a retry loop should fail, not wait minutes.
    retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 10_000 },
  });
  return {
    emulator,
    client,
    async stop() {
      await client.close();
      await emulator.stop();
    },
  };
}

/** Lock renewal stays off where it is not what a test is about. */
export const noLockRenewal = { maxAutoLockRenewalDurationInMs: 0 } as const;

/** Receives exactly `count` messages, failing after `timeoutMs` instead of hanging. */
export async function receiveExactly(
  receiver: ServiceBusReceiver,
  count: number,
  timeoutMs = 10_000,
): Promise<ServiceBusReceivedMessage[]> {
  const received: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) {
    const batch = await receiver.receiveMessages(count - received.length, {
      maxWaitTimeInMs: Math.max(deadline - Date.now(), 1),
    });
    received.push(...batch);
  }
  if (received.length < count) throw new Error(`received ${received.length} of ${count} messages from ${receiver.entityPath}`);
  return received;
}

/** Asserts nothing is waiting: a short receive comes back empty. */
export async function receiveNothing(receiver: ServiceBusReceiver, waitMs = 300): Promise<ServiceBusReceivedMessage[]> {
  return receiver.receiveMessages(1, { maxWaitTimeInMs: waitMs });
}

/** Everything still in a queue or subscription, locked or not. */
export async function countMessages(client: ServiceBusClient, queueOrTopic: string, subscription?: string): Promise<number> {
  const receiver = subscription === undefined ? client.createReceiver(queueOrTopic) : client.createReceiver(queueOrTopic, subscription);
  try {
    // From the start each time: a new receiver does not get a fresh cursor, the SDK keeps one per
    // connection and entity, so a second count would only see messages past the first one's.
    return (await receiver.peekMessages(1_000, { fromSequenceNumber: Long.ZERO })).length;
  } finally {
    await receiver.close();
  }
}

/** The SDK types bodies as `any`; tests compare them as plain values. */
export function bodyOf(message: ServiceBusReceivedMessage): unknown {
  return message.body as unknown;
}
