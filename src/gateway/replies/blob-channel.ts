// The blob reply channel: a backend writes `abc` or `abc.json` into the replies container (content
// type from the blob, optional metadata `status`); functions/blobReply.ts hands the name here.
// Everything is read by ETag so the bytes, content type and metadata acted on are one version.
import { type BlobStore, metadataValue, type StoredBlob, versionedName } from '../blob-store.js';
import type { GatewayConfig } from '../config.js';
import { isJsonMediaType } from '../contract.js';
import { type DeliveryLoopDeps, type DeliveryResult, deliverReply, replyEnvelope, setAsideUnparsed } from './delivery.js';
import { checkReplyBody, parseReplyBlob, type SetAsideReason } from './intake.js';

export interface DeliveryDeps extends DeliveryLoopDeps {
  blobs: Pick<BlobStore, 'describe' | 'read' | 'copy' | 'moveAside' | 'remove'>;
  config: Pick<
    GatewayConfig,
    'repliesContainer' | 'rejectedContainer' | 'replyBodiesContainer' | 'inlineReplyBytes' | 'replyGraceMs' | 'pollIntervalMs'
  >;
}

export function replyIdOf(blob: StoredBlob): string {
  return `blob:${blob.container}/${blob.name}@${blob.etag}`;
}

/** A reply blob in the replies container, named by the request id (an extension allowed). */
export async function deliverBlobReply(name: string, deps: DeliveryDeps): Promise<DeliveryResult> {
  const { blobs, config } = deps;
  const blob = await blobs.describe(config.repliesContainer, name);
  if (blob === undefined) return { result: 'gone' };
  let claimCheck: StoredBlob | undefined;
  const setAside = async (reason: SetAsideReason, detail: string) => {
    const movedTo = await blobs.moveAside(blob, config.rejectedContainer, reason, detail);
    // Made for a raise that lost (a duplicate, say): the set-aside copy holds the bytes now.
    if (claimCheck !== undefined) await blobs.remove(claimCheck);
    return movedTo;
  };
  const parsed = parseReplyBlob(blob);
  if (!parsed.ok) return setAsideUnparsed(parsed, setAside);
  // Bytes that must be looked at before delivery (a JSON reply) are read once, by ETag, and are
  // the ones delivered inline.
  let read: Buffer | undefined;
  if (blob.size > 0 && (blob.size <= config.inlineReplyBytes || isJsonMediaType(blob.contentType))) {
    read = await blobs.read(blob.container, blob.name, blob.etag);
    if (read === undefined) return { result: 'gone' };
    const refused = checkReplyBody(blob.contentType, read);
    if (refused !== undefined) return setAsideUnparsed(refused, setAside);
  }

  const inline = blob.size <= config.inlineReplyBytes;
  return deliverReply(
    {
      requestId: parsed.requestId,
      replyId: replyIdOf(blob),
      envelope: async (receivedAt) => {
        const facts = { replyId: replyIdOf(blob), status: parsed.status, contentType: blob.contentType, receivedAt };
        if (inline) return replyEnvelope(facts, { body: read ?? Buffer.alloc(0) });
        // The reply blob's name is the backend's own: a later reply under that name would replace
        // an answer that pointed at it. The answer points at a copy where no backend writes,
        // named by this version, so a retried delivery finds its own copy again.
        claimCheck = await blobs.copy(
          blob,
          { container: config.replyBodiesContainer, name: versionedName(blob) },
          { replyid: metadataValue(replyIdOf(blob)) },
        );
        if (claimCheck === undefined) return undefined;
        const { container, name: blobName, size, etag } = claimCheck;
        return replyEnvelope(facts, { ref: { container, blobName, size, etag } });
      },
      setAside,
      // The answer now lives in Durable state or in the claim check; removing the reply blob keeps
      // the container (which the trigger scans) small.
      delivered: () => blobs.remove(blob),
    },
    deps,
  );
}
