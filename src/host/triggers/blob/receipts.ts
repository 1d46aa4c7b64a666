import type { ContainerClient } from '@azure/storage-blob';
import type { StorageClients } from '../../storage/connection.js';

/** Where the real host keeps its own state in the AzureWebJobsStorage account. */
const HOSTS_CONTAINER = 'azure-webjobs-hosts';
const POISON_QUEUE = 'webjobs-blobtrigger-poison';

export type Outcome = 'completed' | 'poisoned';

/**
 * "This function has handled this blob version", one empty blob per (function, blob) under
 * `azure-webjobs-hosts/blobreceipts/{hostId}/{function}/{container}/{blob}` with the ETag in its
 * metadata, so an unchanged blob is not handled again after a restart. (The real host puts the
 * ETag in the receipt's name and keeps one receipt per version; one per blob is enough here and
 * keeps loading them proportional to the container.)
 */
export class BlobReceipts {
  private readonly hosts: ContainerClient;
  private readonly prefix: string;

  constructor(hostStorage: StorageClients, hostId: string, functionName: string, container: string) {
    this.hosts = hostStorage.blobs.getContainerClient(HOSTS_CONTAINER);
    this.prefix = `blobreceipts/${hostId}/${functionName}/${container}/`;
  }

  /** Blob name → ETag last handled. */
  async load(): Promise<Map<string, string>> {
    await this.hosts.createIfNotExists();
    const handled = new Map<string, string>();
    for await (const item of this.hosts.listBlobsFlat({ prefix: this.prefix, includeMetadata: true })) {
      const etag = item.metadata?.etag;
      if (etag) handled.set(item.name.slice(this.prefix.length), etag);
    }
    return handled;
  }

  async record(blobName: string, etag: string, outcome: Outcome): Promise<void> {
    await this.hosts.getBlockBlobClient(this.prefix + blobName).upload('', 0, { metadata: { etag, outcome } });
  }
}

/** The real host's poison message for a blob (its `BlobTriggerMessage`). */
export interface BlobPoisonMessage {
  Type: 'BlobTrigger';
  FunctionId: string;
  BlobType: string;
  ContainerName: string;
  BlobName: string;
  ETag: string;
}

/**
 * Base64-encoded, as the Functions queue extension writes and reads by default, so an app's
 * `app.storageQueue` on `webjobs-blobtrigger-poison` reads it as the real host's message. Poison
 * is rare, so the queue is created on demand (the real host also creates it on first use).
 */
export async function sendToPoisonQueue(hostStorage: StorageClients, message: BlobPoisonMessage): Promise<void> {
  const queue = hostStorage.queues.getQueueClient(POISON_QUEUE);
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
}

/** The storage extension (v5) names blob types by `Azure.Storage.Blobs.Models.BlobType`: Block, Page, Append. */
export function dotnetBlobType(sdkBlobType: string): string {
  return sdkBlobType.replace(/Blob$/, '');
}

export { POISON_QUEUE };
