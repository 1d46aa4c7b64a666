// The gateway's few Service Bus sends (requests out, rejected replies aside) over one client per
// connection string and one sender per entity, per process: each connection and link costs an
// AMQP attach and a claims-based-auth round trip, and one sender carries concurrent sends.
import {
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusReceiver,
  type ServiceBusReceiverOptions,
  type ServiceBusSender,
} from '@azure/service-bus';
import { clientCache } from './client-cache.js';

export class ServiceBusPort {
  private readonly client: ServiceBusClient;
  private readonly senders = new Map<string, ServiceBusSender>();

  constructor(connectionString: string) {
    this.client = new ServiceBusClient(connectionString);
  }

  /** Sends one message to a queue or topic; resolves once the broker accepted it. */
  async send(entity: string, message: ServiceBusMessage): Promise<void> {
    let sender = this.senders.get(entity);
    if (sender === undefined) {
      sender = this.client.createSender(entity);
      this.senders.set(entity, sender);
    }
    await sender.sendMessages(message);
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

const ports = clientCache((connectionString) => new ServiceBusPort(connectionString));

export function serviceBusFor(connectionString: string): ServiceBusPort {
  return ports.get(connectionString);
}

/** Closes every client this process opened (app shutdown); a later send opens a new one. */
export async function closeServiceBusPorts(): Promise<void> {
  await Promise.allSettled(ports.drain().map((p) => p.close()));
}
