// One SDK client per connection string per process, for every adapter that holds one (blob
// storage, Service Bus): clients pool their connections, and each new connection costs a
// handshake (and, for AMQP, a claims-based-auth round trip).

export interface ClientCache<T> {
  /** The client for this connection string, made on first use. */
  get(connectionString: string): T;
  /** Forgets every client and answers them, for the caller to close; a later get makes a new one. */
  drain(): T[];
}

export function clientCache<T>(create: (connectionString: string) => T): ClientCache<T> {
  const clients = new Map<string, T>();
  return {
    get(connectionString) {
      let client = clients.get(connectionString);
      if (client === undefined) {
        client = create(connectionString);
        clients.set(connectionString, client);
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
