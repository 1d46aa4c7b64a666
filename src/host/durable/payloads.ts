import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';

/**
 * Large values go to the `{hub}-largemessages` container, as the Azure Storage provider does:
 * a table string property holds at most 32K characters (Azurite: PropertyValueTooLarge), a queue
 * message at most 64 KB.
 */
export const MAX_INLINE_CHARS = 30_000;
const BLOB_SUFFIX = 'BlobName';

export class PayloadStore {
  constructor(private readonly container: ContainerClient) {}

  /** Moves every over-long string property to a blob, leaving `<prop>BlobName` behind. */
  async offload(entity: Record<string, unknown>, owner: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(entity).map(async ([key, value]) => {
        if (typeof value === 'string' && value.length > MAX_INLINE_CHARS) {
          out[key + BLOB_SUFFIX] = await this.put(owner, value);
        } else out[key] = value;
      }),
    );
    return out;
  }

  /** The inverse of `offload`. */
  async restore(entity: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { ...entity };
    await Promise.all(
      Object.entries(entity).map(async ([key, value]) => {
        if (key.endsWith(BLOB_SUFFIX) && typeof value === 'string' && key !== BLOB_SUFFIX) {
          out[key.slice(0, -BLOB_SUFFIX.length)] = await this.get(value);
          delete out[key];
        }
      }),
    );
    return out;
  }

  async put(owner: string, text: string): Promise<string> {
    const name = `${owner}/${randomUUID()}.json`;
    await this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return name;
  }

  async get(name: string): Promise<string> {
    const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
    return buffer.toString('utf8');
  }

  async deleteOwner(owner: string): Promise<void> {
    for await (const blob of this.container.listBlobsFlat({ prefix: `${owner}/` })) {
      await this.container.deleteBlob(blob.name).catch(() => undefined);
    }
  }
}
