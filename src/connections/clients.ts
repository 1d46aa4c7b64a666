// SDK clients over a resolved connection: from its connection string, or from its service URI
// and the credential its settings name. The one place both the local host and the app turn a
// connection into a client, so the two can never reach an account differently.
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { credentialFor } from './credential.js';
import type { ServiceBusConnection } from './servicebus-connection.js';
import type { StorageConnection, StorageService } from './storage-connection.js';

// Azurite serves plain http on loopback; the table SDK refuses that unless told it is fine.
const TABLE_OPTIONS = { allowInsecureConnection: true };

function uriOf(connection: Extract<StorageConnection, { kind: 'identity' }>, service: StorageService): string {
  const uri = connection.serviceUris[service];
  // resolveStorageConnection was asked for the services the caller uses; reaching here is a bug.
  if (uri === undefined) throw new Error(`${connection.setting}: no ${service} service URI was resolved`);
  return uri;
}

/** A bare string is a connection string (scripts and tests pass one). */
export type Given<C> = C | string;

function given<C extends StorageConnection | ServiceBusConnection>(
  connection: Given<C>,
): C | { kind: 'connectionString'; connectionString: string } {
  return typeof connection === 'string' ? { kind: 'connectionString', connectionString: connection } : connection;
}

export function blobServiceClient(given_: Given<StorageConnection>): BlobServiceClient {
  const connection = given(given_);
  if (connection.kind === 'connectionString') return BlobServiceClient.fromConnectionString(connection.connectionString);
  return new BlobServiceClient(uriOf(connection, 'blob'), credentialFor(connection.credential));
}

export function queueServiceClient(connection: StorageConnection): QueueServiceClient {
  if (connection.kind === 'connectionString') return QueueServiceClient.fromConnectionString(connection.connectionString);
  return new QueueServiceClient(uriOf(connection, 'queue'), credentialFor(connection.credential));
}

export function tableServiceClient(connection: StorageConnection): TableServiceClient {
  if (connection.kind === 'connectionString') return TableServiceClient.fromConnectionString(connection.connectionString, TABLE_OPTIONS);
  return new TableServiceClient(uriOf(connection, 'table'), credentialFor(connection.credential), TABLE_OPTIONS);
}

export function tableClient(connection: StorageConnection, table: string): TableClient {
  if (connection.kind === 'connectionString') return TableClient.fromConnectionString(connection.connectionString, table, TABLE_OPTIONS);
  return new TableClient(uriOf(connection, 'table'), table, credentialFor(connection.credential), TABLE_OPTIONS);
}

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
