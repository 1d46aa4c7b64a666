// The blob trigger's own state in the host's storage: receipts per blob version and poison messages.
import type { ContainerClient } from '@azure/storage-blob';
import type { StorageClients } from '../../storage/connection.js';

/** Where the real host keeps its own state in the AzureWebJobsStorage account. */
const HOSTS_CONTAINER = 'azure-webjobs-hosts';
const POISON_QUEUE = 'webjobs-blobtrigger-poison';

export type Outcome = 'completed' | 'poisoned';

/**
 * "This function has handled this blob version", one empty blob per version, at the real host's
 * path `azure-webjobs-hosts/blobreceipts/{hostId}/{functionId}/{etag}/{container}/{blob}` (the
 * ETag quoted, as the storage SDK reports it): a new version of a blob has a new ETag and fires
 * again, a version with a receipt is not handled again after a restart, and Storage Explorer
 * shows what it would show in Azure.
 */
export class BlobReceipts {
  private readonly hosts: ContainerClient;
  private readonly prefix: string;

  constructor(
    hostStorage: StorageClients,
    hostId: string,
    functionId: string,
    private readonly container: string,
  ) {
    this.hosts = hostStorage.blobs.getContainerClient(HOSTS_CONTAINER);
    this.prefix = `blobreceipts/${hostId}/${functionId}/`;
  }

  /** Every handled version in this container, as `versionKey(name, etag)`. */
  async load(): Promise<Set<string>> {
    await this.hosts.createIfNotExists();
    const handled = new Set<string>();
    const containerPart = `/${this.container}/`;
    for await (const item of this.hosts.listBlobsFlat({ prefix: this.prefix })) {
      const rest = item.name.slice(this.prefix.length);
      const at = rest.indexOf(containerPart);
      if (at <= 0) continue;
      handled.add(versionKey(rest.slice(at + containerPart.length), rest.slice(0, at)));
    }
    return handled;
  }

  async record(blobName: string, etag: string, outcome: Outcome): Promise<void> {
    const name = `${this.prefix}"${bareEtag(etag)}"/${this.container}/${blobName}`;
    await this.hosts.getBlockBlobClient(name).upload('', 0, { metadata: { IsCompleted: 'true', outcome } });
  }
}

/** Listings give ETags bare, downloads quoted (`"0x8D..."`), in Azure and Azurite alike; compare them bare. */
export function bareEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** One blob version, for the handled set. */
export function versionKey(blobName: string, etag: string | undefined): string {
  return `${bareEtag(etag)}\n${blobName}`;
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

/** The host's `BlobTriggerMessage` names blob types by its `StorageBlobType` enum: BlockBlob, PageBlob, AppendBlob (the REST names). */
export function dotnetBlobType(sdkBlobType: string): string {
  return /Blob$/.test(sdkBlobType) ? sdkBlobType : `${sdkBlobType}Blob`;
}

export { POISON_QUEUE };
