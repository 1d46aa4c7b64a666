// The secret under which Idempotency-Keys become request ids (contract.ts). Generated once per
// storage account and kept there, beside the gateway's other blobs, so every instance and every
// restart derive the same id from the same key, and nobody without storage access can.
import { randomBytes } from 'node:crypto';
import { connectionKey, type Given } from '../connections/clients.js';
import type { StorageConnection } from '../connections/storage-connection.js';
import type { BlobStore } from './blob-store.js';

export const ID_SECRET_BLOB = 'idempotency-key-secret';
const SECRET_BYTES = 32;

const cached = new Map<string, Promise<Buffer>>();

/**
 * The secret kept in `container`; created on first use, agreed on by concurrent creators.
 * `account` names the storage account (its connection) for the per-process cache.
 */
export function idSecret(blobs: Pick<BlobStore, 'writeOnce'>, container: string, account: Given<StorageConnection>): Promise<Buffer> {
  const cacheKey = `${connectionKey(account)}\n${container}`;
  let secret = cached.get(cacheKey);
  if (secret === undefined) {
    secret = blobs.writeOnce(container, ID_SECRET_BLOB, randomBytes(SECRET_BYTES), 'application/octet-stream').then((bytes) => {
      // Someone else's blob of the wrong size is not a secret the gateway made: refuse loudly.
      if (bytes.length !== SECRET_BYTES) throw new Error(`${container}/${ID_SECRET_BLOB} is ${bytes.length} bytes, not ${SECRET_BYTES}`);
      return bytes;
    });
    // A failed read (storage down) is retried by the next call, not cached.
    secret.catch(() => cached.delete(cacheKey));
    cached.set(cacheKey, secret);
  }
  return secret;
}
