// Adapter over @azure/storage-blob for the gateway's few blob moves. Every read and delete is
// pinned to an ETag, so a blob replaced in the meantime is never mistaken for the one decided
// on, and a move is copy-then-delete, so a failure half way leaves two copies, never none.

import type { Readable } from 'node:stream';
import { type BlobServiceClient, type ContainerClient, RestError } from '@azure/storage-blob';
import { blobServiceClient, type Given } from '../connections/clients.js';
import type { StorageConnection } from '../connections/storage-connection.js';
import { clientCache } from './client-cache.js';

export interface StoredBlob {
  container: string;
  name: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  etag: string;
  /** When this version was written, where the call that read it says. */
  lastModified?: Date;
}

/** A blob as a listing shows it: its properties, metadata and when it was last written. */
export interface ListedBlob extends StoredBlob {
  lastModified: Date;
}

export interface ListPage {
  blobs: ListedBlob[];
  /** Where the next page starts; undefined on the last page. */
  marker?: string;
}

export interface WriteOptions {
  contentType: string;
  metadata?: Record<string, string>;
}

/** The version a write made (ETag), with when storage wrote it. */
export interface WrittenVersion {
  etag: string;
  lastModified: Date;
}

/** A blob's bytes and the version they are. */
export interface BlobVersion extends WrittenVersion {
  bytes: Buffer;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

/**
 * Runs a storage call that names one blob version; undefined when that version is not there:
 * 404 (no such blob) and 412 (the ETag no longer matches) both mean it is gone.
 */
async function unlessGone<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 412) return undefined;
    throw error;
  }
}

/**
 * Runs a write with a condition on what is there (If-None-Match, If-Match) and answers the version
 * it wrote; undefined when the condition failed, which storage says with one of `failed`: 409
 * (BlobAlreadyExists) or 412 for If-None-Match, 412 or 404 (nothing left to match) for If-Match.
 */
async function onlyIfUnchanged(
  failed: readonly number[],
  write: () => Promise<{ etag?: string; lastModified?: Date }>,
): Promise<WrittenVersion | undefined> {
  try {
    const written = await write();
    return { etag: written.etag ?? '', lastModified: written.lastModified ?? new Date() };
  } catch (error) {
    if (failed.includes(statusOf(error) ?? 0)) return undefined;
    throw error;
  }
}

/** `name/ETag`: one name per version of a blob, so copies of two versions never collide. */
export function versionedName(blob: Pick<StoredBlob, 'name' | 'etag'>): string {
  return `${blob.name}/${blob.etag.replace(/[^A-Za-z0-9]/g, '') || 'unversioned'}`;
}

// Metadata travels as HTTP headers: printable ASCII only, and kept short.
export function metadataValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

export class BlobStore {
  private readonly service: BlobServiceClient;
  private readonly ensured = new Map<string, Promise<unknown>>();

  /** A connection string or an identity-based connection, as the host reads AzureWebJobsStorage. */
  constructor(connection: Given<StorageConnection>) {
    this.service = blobServiceClient(connection);
  }

  private async container(name: string): Promise<ContainerClient> {
    const client = this.service.getContainerClient(name);
    let ensured = this.ensured.get(name);
    if (ensured === undefined) {
      ensured = client.createIfNotExists();
      // A failed create (storage down) must be retried by the next call, not cached.
      ensured.catch(() => this.ensured.delete(name));
      this.ensured.set(name, ensured);
    }
    await ensured;
    return client;
  }

  async write(container: string, name: string, bytes: Uint8Array, options: WriteOptions): Promise<void> {
    const client = (await this.container(container)).getBlockBlobClient(name);
    await client.uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: options.contentType },
      metadata: options.metadata ?? {},
    });
  }

  /**
   * Writes `bytes` under a name only if nothing is there yet (If-None-Match: *), and answers what
   * is there afterwards: so concurrent first writers on any number of instances agree on one value.
   */
  async writeOnce(container: string, name: string, bytes: Uint8Array, contentType: string): Promise<Buffer> {
    if ((await this.create(container, name, bytes, { contentType })) !== undefined) return Buffer.from(bytes);
    return (await this.container(container)).getBlockBlobClient(name).downloadToBuffer();
  }

  /** Creates the blob only if nothing is there yet (If-None-Match: *); undefined when something is. */
  async create(container: string, name: string, bytes: Uint8Array, options: WriteOptions): Promise<WrittenVersion | undefined> {
    const client = (await this.container(container)).getBlockBlobClient(name);
    return onlyIfUnchanged([409, 412], () =>
      client.uploadData(bytes, {
        blobHTTPHeaders: { blobContentType: options.contentType },
        metadata: options.metadata ?? {},
        conditions: { ifNoneMatch: '*' },
      }),
    );
  }

  /** The blob's bytes with the version (ETag) they are, for a write pinned to it; undefined if absent. */
  async readVersion(container: string, name: string): Promise<BlobVersion | undefined> {
    const response = await unlessGone(() => this.service.getContainerClient(container).getBlobClient(name).download());
    if (response === undefined) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
    return { bytes: Buffer.concat(chunks), etag: response.etag ?? '', lastModified: response.lastModified ?? new Date(0) };
  }

  /** Replaces exactly that version (If-Match); undefined when it was replaced or removed meanwhile. */
  async replace(
    container: string,
    name: string,
    bytes: Uint8Array,
    contentType: string,
    etag: string,
  ): Promise<WrittenVersion | undefined> {
    const client = (await this.container(container)).getBlockBlobClient(name);
    return onlyIfUnchanged([412, 404], () =>
      client.uploadData(bytes, { blobHTTPHeaders: { blobContentType: contentType }, conditions: { ifMatch: etag } }),
    );
  }

  /** Properties of a blob, or undefined when it does not exist (any more). */
  async describe(container: string, name: string): Promise<StoredBlob | undefined> {
    const props = await unlessGone(() => this.service.getContainerClient(container).getBlobClient(name).getProperties());
    if (props === undefined) return undefined;
    return {
      container,
      name,
      size: props.contentLength ?? 0,
      contentType: props.contentType || DEFAULT_CONTENT_TYPE,
      metadata: props.metadata ?? {},
      etag: props.etag ?? '',
      ...(props.lastModified ? { lastModified: props.lastModified } : {}),
    };
  }

  /** The bytes of exactly that version (ETag), or undefined if it is gone or was replaced. */
  async read(container: string, name: string, etag: string): Promise<Buffer | undefined> {
    const blob = this.service.getContainerClient(container).getBlobClient(name);
    return unlessGone(() => blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: etag } }));
  }

  async *list(container: string): AsyncGenerator<string> {
    for await (const item of (await this.container(container)).listBlobsFlat()) yield item.name;
  }

  /**
   * One page of a listing in name order (`size` at most), with properties and metadata; `marker`
   * (from the page before) resumes it. Every item of a page is answered, so the marker is exact.
   */
  async listPage(container: string, options: { prefix?: string; marker?: string; size: number }): Promise<ListPage> {
    const client = await this.container(container);
    const pages = client
      .listBlobsFlat({ prefix: options.prefix, includeMetadata: true })
      .byPage({ maxPageSize: options.size, continuationToken: options.marker });
    const page = await pages.next();
    if (page.done === true) return { blobs: [] };
    const blobs = page.value.segment.blobItems.map((item) => ({
      container,
      name: item.name,
      size: item.properties.contentLength ?? 0,
      contentType: item.properties.contentType || DEFAULT_CONTENT_TYPE,
      metadata: item.metadata ?? {},
      etag: item.properties.etag,
      lastModified: item.properties.lastModified,
    }));
    const marker = page.value.continuationToken;
    return marker ? { blobs, marker } : { blobs };
  }

  /**
   * Copies `source` (that exact version) to `target`, adding `metadata` to the blob's own.
   * Idempotent: a copy already at `target` (a retried copy) is kept, never overwritten. Answers
   * the copy, or undefined if the source version is gone.
   */
  async copy(
    source: StoredBlob,
    target: { container: string; name: string },
    metadata: Record<string, string>,
  ): Promise<StoredBlob | undefined> {
    const from = this.service.getContainerClient(source.container).getBlobClient(source.name);
    const to = (await this.container(target.container)).getBlockBlobClient(target.name);
    const download = await unlessGone(() => from.download(0, undefined, { conditions: { ifMatch: source.etag } }));
    if (download === undefined) return undefined;
    try {
      await to.uploadStream(download.readableStreamBody as Readable, undefined, undefined, {
        blobHTTPHeaders: { blobContentType: source.contentType },
        // The metadata of the version read (by ETag), exactly as stored: `source` may come from
        // trigger binding data, whose metadata names the Node worker has camel-cased.
        metadata: { ...(download.metadata ?? source.metadata), ...metadata },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (error) {
      // Already there: copied by an earlier attempt of this same copy.
      const status = statusOf(error);
      if (status !== 409 && status !== 412) throw error;
    }
    return this.describe(target.container, target.name);
  }

  /** copy(), then deletes the source if it is still that version. Answers false if it is gone. */
  async move(source: StoredBlob, target: { container: string; name: string }, metadata: Record<string, string>): Promise<boolean> {
    if ((await this.copy(source, target, metadata)) === undefined) return false;
    await this.remove(source);
    return true;
  }

  /** Deletes that version of the blob; a newer version (or none) is left alone. */
  async remove(blob: StoredBlob): Promise<void> {
    // Gone already, or replaced by a newer version that will be judged on its own: both fine.
    const client = this.service.getContainerClient(blob.container).getBlobClient(blob.name);
    await unlessGone(() => client.delete({ conditions: { ifMatch: blob.etag } }));
  }

  /**
   * Sets a reply aside with the reason in metadata. The target name carries the source ETag, so
   * two versions of one name never collide and a retried move lands on its own earlier copy.
   */
  async moveAside(source: StoredBlob, rejectedContainer: string, reason: string, detail: string): Promise<string> {
    const name = versionedName(source);
    await this.move(
      source,
      { container: rejectedContainer, name },
      {
        reason: metadataValue(reason),
        detail: metadataValue(detail),
        originalcontainer: source.container,
        originalname: metadataValue(source.name),
      },
    );
    return name;
  }
}

const stores = clientCache((connection: Given<StorageConnection>) => new BlobStore(connection));

/** One client per connection per process (they pool connections). */
export function blobStoreFor(connection: Given<StorageConnection>): BlobStore {
  return stores.get(connection);
}
