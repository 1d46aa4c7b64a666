// Set-aside blob replies: the rejected container (GATEWAY_REJECTED_CONTAINER), where the blob
// channel moves a reply it cannot deliver under `<reply blob name>/<etag>` with metadata
// `reason`, `detail`, `originalname` (blob-store.ts moveAside). Everything in that metadata is
// input: it is shown as text, and a replay always goes to the configured replies container.
import type { BlobStore, ListedBlob } from '../blob-store.js';
import type { GatewayConfig } from '../config.js';
import { requestIdOfBlobName } from '../contract.js';
import { GatewayError } from '../errors.js';
import { bodyFields, type RejectedDetail, type RejectedItem, rejectedName, requestIdOrNull, textOf } from './rejected-item.js';
import type { RejectedSource, ReplayReceipt, ScannedReply } from './rejected-source.js';

const PAGE = 500;
// What moveAside adds; the rest of the metadata (`status`) is the backend's and travels with a replay.
const SET_ASIDE_METADATA = new Set(['reason', 'detail', 'originalcontainer', 'originalname']);

type Blobs = Pick<BlobStore, 'listPage' | 'describe' | 'read' | 'createIfAbsent' | 'remove'>;

/** The reply blob's own name: from the metadata, else the set-aside name without its `/<etag>`. */
function originalName(blob: Pick<ListedBlob, 'name' | 'metadata'>): string {
  const recorded = blob.metadata.originalname;
  if (typeof recorded === 'string' && recorded !== '') return recorded;
  const slash = blob.name.lastIndexOf('/');
  return slash > 0 ? blob.name.slice(0, slash) : blob.name;
}

function itemOf(blob: Pick<ListedBlob, 'name' | 'metadata' | 'size' | 'contentType'>, receivedAt: Date | undefined): RejectedItem {
  return {
    name: rejectedName({ place: 'blob', local: blob.name }),
    channel: 'blob',
    reason: textOf(blob.metadata.reason) || 'unknown',
    description: textOf(blob.metadata.detail),
    requestId: requestIdOrNull(requestIdOfBlobName(originalName(blob))),
    receivedAt: (receivedAt ?? new Date(0)).toISOString(),
    size: blob.size,
    contentType: blob.contentType,
  };
}

// Blob names a replay may write: what a backend could have written, without control characters.
function isReplayableName(name: string): boolean {
  return name.length > 0 && name.length <= 1024 && ![...name].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f');
}

export class BlobRejectedSource implements RejectedSource {
  readonly place = 'blob' as const;

  constructor(
    private readonly blobs: Blobs,
    private readonly config: Pick<GatewayConfig, 'rejectedContainer' | 'repliesContainer'>,
  ) {}

  async *scan(filter: { requestId?: string }, limit: number): AsyncGenerator<ScannedReply> {
    let seen = 0;
    let marker: string | undefined;
    do {
      // Set-aside names start with the reply's name, which starts with the request id.
      const page = await this.blobs.listPage(this.config.rejectedContainer, { prefix: filter.requestId, marker, size: PAGE });
      for (const blob of page.blobs) {
        if (seen++ >= limit) return;
        const item = itemOf(blob, blob.lastModified);
        if (filter.requestId !== undefined && item.requestId !== filter.requestId) continue;
        yield { local: blob.name, item };
      }
      marker = page.marker;
    } while (marker !== undefined);
  }

  async show(local: string): Promise<RejectedDetail | undefined> {
    const found = await this.read(local);
    if (found === undefined) return undefined;
    const { blob, bytes } = found;
    return { ...itemOf(blob, blob.lastModified), properties: { ...blob.metadata }, ...bodyFields(bytes) };
  }

  /**
   * Writes the reply back under its own name in the replies container (only if the name is free,
   * so no newer reply is replaced), where the blob trigger takes it through the intake again;
   * then deletes this copy. A failure between the two leaves both copies, never none.
   */
  async replay(local: string): Promise<ReplayReceipt> {
    const name = rejectedName({ place: 'blob', local });
    const found = await this.read(local);
    if (found === undefined) throw new GatewayError('rejected-not-found', `No set-aside reply ${name}.`);
    const { blob, bytes } = found;
    const target = originalName(blob);
    if (!isReplayableName(target)) throw new GatewayError('replay-conflict', `Set-aside reply ${name} has no usable original blob name.`);
    const metadata = Object.fromEntries(Object.entries(blob.metadata).filter(([k]) => !SET_ASIDE_METADATA.has(k.toLowerCase())));
    const created = await this.blobs.createIfAbsent(this.config.repliesContainer, target, bytes, {
      contentType: blob.contentType,
      metadata,
    });
    if (!created) {
      throw new GatewayError(
        'replay-conflict',
        `A reply named ${target} is already waiting in ${this.config.repliesContainer}; replay ${name} once it is handled.`,
      );
    }
    await this.blobs.remove(blob);
    return { name, requestId: itemOf(blob, undefined).requestId, replayedTo: `${this.config.repliesContainer}/${target}` };
  }

  async expire(cutoff: Date, max: number): Promise<number> {
    let deleted = 0;
    let marker: string | undefined;
    do {
      const page = await this.blobs.listPage(this.config.rejectedContainer, { marker, size: PAGE });
      for (const blob of page.blobs) {
        if (deleted >= max) return deleted;
        if (blob.lastModified.getTime() > cutoff.getTime()) continue;
        await this.blobs.remove(blob);
        deleted++;
      }
      marker = page.marker;
    } while (marker !== undefined);
    return deleted;
  }

  private async read(local: string) {
    const blob = await this.blobs.describe(this.config.rejectedContainer, local);
    if (blob === undefined) return undefined;
    const bytes = await this.blobs.read(blob.container, blob.name, blob.etag);
    return bytes === undefined ? undefined : { blob, bytes };
  }
}
