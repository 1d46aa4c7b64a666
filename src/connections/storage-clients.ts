// SDK clients over a resolved storage connection, from its connection string or from its service
// URI and the credential its settings name. Apart from clients.ts (which re-exports these) so that
// a thread needing storage alone, the table view's worker, does not load the Service Bus SDK.
import { TableClient, TableServiceClient } from '@azure/data-tables';
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

export function given<C extends StorageConnection | ServiceBusConnection>(
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
