// The gateway's few Service Bus sends (requests out, rejected replies aside) over one client per
// connection and one sender per entity, per process: each connection and link costs an AMQP
// attach and a claims-based-auth round trip, and one sender carries concurrent sends.
import type {
  ServiceBusClient,
  ServiceBusMessage,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
  ServiceBusSender,
} from '@azure/service-bus';
import { type Given, serviceBusClient } from '../connections/clients.js';
import type { ServiceBusConnection } from '../connections/servicebus-connection.js';
import { clientCache } from './client-cache.js';

export class ServiceBusPort {
  private readonly client: ServiceBusClient;
  private readonly senders = new Map<string, ServiceBusSender>();

  /** A connection string, or the namespace and the identity that signs the claims (CBS) with a token. */
  constructor(connection: Given<ServiceBusConnection>) {
    this.client = serviceBusClient(connection);
  }

  private readonly limits = new Map<string, number>();

  /** Sends one message to a queue or topic; resolves once the broker accepted it. */
  async send(entity: string, message: ServiceBusMessage): Promise<void> {
    await this.sender(entity).sendMessages(message);
  }

  /** The largest message the entity takes, as its link advertises it (the namespace's tier sets it). */
  async maxMessageBytes(entity: string): Promise<number> {
    let limit = this.limits.get(entity);
    if (limit === undefined) {
      limit = (await this.sender(entity).createMessageBatch()).maxSizeInBytes;
      this.limits.set(entity, limit);
    }
    return limit;
  }

  private sender(entity: string): ServiceBusSender {
    let sender = this.senders.get(entity);
    if (sender === undefined) {
      sender = this.client.createSender(entity);
      this.senders.set(entity, sender);
    }
    return sender;
  }

  /** A receiver of the caller's own (to close): peek, or receive and settle outside a trigger. */
  receiver(entity: { queue: string } | { topic: string; subscription: string }, options: ServiceBusReceiverOptions): ServiceBusReceiver {
    return 'queue' in entity
      ? this.client.createReceiver(entity.queue, options)
      : this.client.createReceiver(entity.topic, entity.subscription, options);
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((s) => s.close()));
    await this.client.close();
  }
}

const ports = clientCache((connection: Given<ServiceBusConnection>) => new ServiceBusPort(connection));

export function serviceBusFor(connection: Given<ServiceBusConnection>): ServiceBusPort {
  return ports.get(connection);
}

/** Closes every client this process opened (app shutdown); a later send opens a new one. */
export async function closeServiceBusPorts(): Promise<void> {
  await Promise.allSettled(ports.drain().map((p) => p.close()));
}
