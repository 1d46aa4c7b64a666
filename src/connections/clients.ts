// SDK clients over a resolved connection: from its connection string, or from its service URI
// and the credential its settings name. The one place both the local host and the app turn a
// connection into a client, so the two can never reach an account differently (the storage ones
// are in storage-clients.ts).
import { ServiceBusClient } from '@azure/service-bus';
import { credentialFor } from './credential.js';
import type { ServiceBusConnection } from './servicebus-connection.js';
import { type Given, given } from './storage-clients.js';
import type { StorageConnection } from './storage-connection.js';

export { blobServiceClient, type Given, queueServiceClient, tableClient, tableServiceClient } from './storage-clients.js';

export function serviceBusClient(given_: Given<ServiceBusConnection>): ServiceBusClient {
  const connection = given(given_);
  if (connection.kind === 'connectionString') return new ServiceBusClient(connection.connectionString);
  return new ServiceBusClient(connection.fullyQualifiedNamespace, credentialFor(connection.credential));
}

/** One string per account and way in, for per-process client caches (no secret is kept apart from the string itself). */
export function connectionKey(connection: Given<StorageConnection | ServiceBusConnection>): string {
  const c = given(connection);
  return JSON.stringify(c.kind === 'connectionString' ? ['connectionString', c.connectionString] : c);
}
