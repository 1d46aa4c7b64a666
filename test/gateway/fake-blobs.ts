// In-memory stand-in for BlobStore's reply-side methods, with ETags so version pinning is real.
import type { BlobStore, StoredBlob } from '../../src/gateway/blob-store.js';

interface Entry {
  bytes: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  etag: string;
}

export class FakeBlobs implements Pick<BlobStore, 'describe' | 'read' | 'copy' | 'moveAside' | 'remove'> {
  readonly containers = new Map<string, Map<string, Entry>>();
  private version = 0;

  put(
    container: string,
    name: string,
    content: string | Buffer,
    contentType = 'application/json',
    metadata: Record<string, string> = {},
  ): string {
    const etag = `"0x${++this.version}"`;
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    this.bucket(container).set(name, { bytes, contentType, metadata, etag });
    return etag;
  }

  get(container: string, name: string): Entry | undefined {
    return this.containers.get(container)?.get(name);
  }

  private bucket(container: string): Map<string, Entry> {
    let bucket = this.containers.get(container);
    if (!bucket) this.containers.set(container, (bucket = new Map<string, Entry>()));
    return bucket;
  }

  describe(container: string, name: string): Promise<StoredBlob | undefined> {
    const entry = this.get(container, name);
    if (!entry) return Promise.resolve(undefined);
    const { contentType, metadata, etag } = entry;
    return Promise.resolve({ container, name, size: entry.bytes.length, contentType, metadata, etag });
  }

  read(container: string, name: string, etag: string): Promise<Buffer | undefined> {
    const entry = this.get(container, name);
    return Promise.resolve(entry && entry.etag === etag ? entry.bytes : undefined);
  }

  copy(source: StoredBlob, target: { container: string; name: string }, metadata: Record<string, string>): Promise<StoredBlob | undefined> {
    const entry = this.get(source.container, source.name);
    if (!entry || entry.etag !== source.etag) return Promise.resolve(undefined);
    if (!this.get(target.container, target.name))
      this.put(target.container, target.name, entry.bytes, entry.contentType, { ...entry.metadata, ...metadata });
    return this.describe(target.container, target.name);
  }

  moveAside(source: StoredBlob, rejectedContainer: string, reason: string, detail: string): Promise<string> {
    const entry = this.get(source.container, source.name);
    const target = `${source.name}/${source.etag.replace(/[^A-Za-z0-9]/g, '')}`;
    if (entry && entry.etag === source.etag) {
      const metadata = { ...entry.metadata, reason, detail, originalcontainer: source.container, originalname: source.name };
      this.bucket(rejectedContainer).set(target, { ...entry, metadata });
      this.bucket(source.container).delete(source.name);
    }
    return Promise.resolve(target);
  }

  remove(blob: StoredBlob): Promise<void> {
    if (this.get(blob.container, blob.name)?.etag === blob.etag) this.bucket(blob.container).delete(blob.name);
    return Promise.resolve();
  }
}
