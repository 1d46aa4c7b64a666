// One SDK client per connection per process, for every adapter that holds one (blob storage,
// Service Bus): clients pool their connections, and each new connection costs a handshake (and,
// for AMQP, a claims-based-auth round trip). Connections are keyed by value, so two settings
// objects naming the same account and identity share one client.
import { connectionKey, type Given } from '../connections/clients.js';
import type { ServiceBusConnection } from '../connections/servicebus-connection.js';
import type { StorageConnection } from '../connections/storage-connection.js';

type Connection = Given<StorageConnection | ServiceBusConnection>;

export interface ClientCache<C extends Connection, T> {
  /** The client for this connection, made on first use. */
  get(connection: C): T;
  /** Forgets every client and answers them, for the caller to close; a later get makes a new one. */
  drain(): T[];
}

export function clientCache<C extends Connection, T>(create: (connection: C) => T): ClientCache<C, T> {
  const clients = new Map<string, T>();
  return {
    get(connection) {
      const key = connectionKey(connection);
      let client = clients.get(key);
      if (client === undefined) {
        client = create(connection);
        clients.set(key, client);
      }
      return client;
    },
    drain() {
      const all = [...clients.values()];
      clients.clear();
      return all;
    },
  };
}
