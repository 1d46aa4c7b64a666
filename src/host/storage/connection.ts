// The host's storage connections: a setting resolved as the Functions host resolves it (a
// connection string, `UseDevelopmentStorage=true`, or identity-based `<name>__*` settings; see
// src/connections/), and the SDK clients over one.

import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';
import { blobServiceClient, queueServiceClient, tableClient, tableServiceClient } from '../../connections/clients.js';
import { ConnectionSettingError } from '../../connections/connection-section.js';
import {
  describeStorageConnection,
  resolveStorageConnection,
  type StorageConnection,
  type StorageService,
} from '../../connections/storage-connection.js';

/** The published well-known development account (the one `UseDevelopmentStorage=true` means). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function developmentConnectionString(
  ports: { blob: number; queue: number; table: number },
  protocol: 'http' | 'https' = 'http',
): string {
  const base = `${protocol}://127.0.0.1`;
  return (
    [
      `DefaultEndpointsProtocol=${protocol}`,
      `AccountName=${DEV_ACCOUNT}`,
      `AccountKey=${DEV_KEY}`,
      `BlobEndpoint=${base}:${ports.blob}/${DEV_ACCOUNT}`,
      `QueueEndpoint=${base}:${ports.queue}/${DEV_ACCOUNT}`,
      `TableEndpoint=${base}:${ports.table}/${DEV_ACCOUNT}`,
    ].join(';') + ';'
  );
}

/** Expands the `UseDevelopmentStorage=true` shorthand, which the table SDK does not accept everywhere. */
export function normalizeConnectionString(connectionString: string): string {
  if (/^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(connectionString)) {
    return developmentConnectionString({ blob: 10000, queue: 10001, table: 10002 });
  }
  return connectionString;
}

/** What the host itself keeps in its storage: leases and receipts (blob), Durable's queues and poison (queue), the view (table). */
export const HOST_STORAGE_SERVICES: readonly StorageService[] = ['blob', 'queue', 'table'];
/** A blob trigger's or binding's own connection: the blobs, and the queue the real host keeps its poison messages in. */
export const BLOB_TRIGGER_SERVICES: readonly StorageService[] = ['blob', 'queue'];

/**
 * The storage a connection setting names, or an Error saying which settings to add. `needs`
 * lists the services the caller will use, so an identity connection missing one fails at start.
 */
export function resolveHostStorage(
  setting: string,
  needs: readonly StorageService[],
  env: NodeJS.ProcessEnv = process.env,
): StorageConnection {
  try {
    return resolveStorageConnection(setting, env, needs);
  } catch (err) {
    if (err instanceof ConnectionSettingError) throw new Error(`Connection setting ${err.message}.`, { cause: err });
    throw err;
  }
}

export interface StorageClients {
  /** Where it points, with any key masked: for messages. */
  description: string;
  /** The resolved connection (plain data): what a worker thread builds its own clients from. */
  connection: StorageConnection;
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
  tables: TableServiceClient;
  table(name: string): TableClient;
}

/** Clients over a resolved connection, or over a connection string (tests and `--storage` hand one in). */
export function createStorageClients(given: StorageConnection | string): StorageClients {
  const connection: StorageConnection =
    typeof given === 'string' ? { kind: 'connectionString', setting: '(given)', connectionString: given } : given;
  const resolved: StorageConnection =
    connection.kind === 'connectionString'
      ? { ...connection, connectionString: normalizeConnectionString(connection.connectionString) }
      : connection;
  return {
    description: describeStorageConnection(resolved),
    connection: resolved,
    blobs: blobServiceClient(resolved),
    queues: queueServiceClient(resolved),
    tables: tableServiceClient(resolved),
    table: (name) => tableClient(resolved, name),
  };
}

/** Names the setting when storage is unreachable or refuses the credential, instead of the SDK's retry noise. */
export async function assertStorageReachable(clients: StorageClients, settingName: string): Promise<void> {
  try {
    // Listing one container needs only a data role (Storage Blob Data Reader and up); the service
    // properties would need the account owner, which an identity usually isn't.
    // 10 s: an identity's first token (az login, the managed identity endpoint) can take seconds.
    await clients.blobs
      .listContainers({ abortSignal: AbortSignal.timeout(10_000) })
      .byPage({ maxPageSize: 1 })
      .next();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Storage from setting ${settingName} is unreachable (${clients.description}): ${reason}`);
  }
}
