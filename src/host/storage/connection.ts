// Storage connection strings (the development account, `UseDevelopmentStorage=true`) and the SDK clients over one.

import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

/** The published well-known development account (the one `UseDevelopmentStorage=true` means). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function developmentConnectionString(ports: { blob: number; queue: number; table: number }): string {
  const base = 'http://127.0.0.1';
  return (
    [
      'DefaultEndpointsProtocol=http',
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

export interface StorageClients {
  connectionString: string;
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
  tables: TableServiceClient;
  table(name: string): TableClient;
}

export function createStorageClients(connectionString: string): StorageClients {
  const cs = normalizeConnectionString(connectionString);
  // Azurite serves plain http on loopback; the table SDK refuses that unless told it is fine.
  const tableOptions = { allowInsecureConnection: true };
  return {
    connectionString: cs,
    blobs: BlobServiceClient.fromConnectionString(cs),
    queues: QueueServiceClient.fromConnectionString(cs),
    tables: TableServiceClient.fromConnectionString(cs, tableOptions),
    table: (name) => TableClient.fromConnectionString(cs, name, tableOptions),
  };
}

/** Names the setting when storage is unreachable, instead of the SDK's retry noise. */
export async function assertStorageReachable(clients: StorageClients, settingName: string): Promise<void> {
  try {
    await clients.blobs.getProperties({ abortSignal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Storage from setting ${settingName} is unreachable (${redact(clients.connectionString)}): ${reason}`);
  }
}

function redact(connectionString: string): string {
  return connectionString.replace(/(AccountKey|SharedAccessSignature)=[^;]+/gi, '$1=***');
}
