// The blob reply channel: a backend writes `abc` or `abc.json` into the replies container (content
// type from the blob, optional metadata `status`); functions/blobReply.ts hands the name here.
// Everything acted on is one version: the bytes, content type and metadata the trigger handed over
// when they can be tied together (triggeredVersion), else read again by ETag.
import { createHash } from 'node:crypto';
import { type BlobStore, DEFAULT_CONTENT_TYPE, metadataValue, type StoredBlob, versionedName } from '../blob-store.js';
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

/** What the blob trigger hands a function: the content, and the properties and metadata it binds beside it. */
export interface TriggeredBlob {
  content: unknown;
  /** `context.triggerMetadata.properties`: BlobProperties, camel-cased by the Node worker. */
  properties: unknown;
  /** `context.triggerMetadata.metadata`. */
  metadata: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The trigger's bytes and properties as one version, when that can be shown: on Azure the binding
 * reads the properties (a HEAD) and the content (a GET) in two requests, so a blob overwritten
 * between them would pair one version's ETag and metadata with another's bytes. The content MD5
 * that storage keeps for a blob written in one request ties them: bytes with the MD5 (and length)
 * the properties name are that version's bytes. Without an MD5 or a quoted ETag, or with a type
 * not expected, this answers undefined and the delivery reads the blob by ETag instead.
 */
export function triggeredVersion(container: string, name: string, t: TriggeredBlob): { blob: StoredBlob; bytes: Buffer } | undefined {
  const p = t.properties;
  if (!(t.content instanceof Uint8Array) || !isRecord(p) || !isRecord(t.metadata)) return undefined;
  const bytes = Buffer.isBuffer(t.content) ? t.content : Buffer.from(t.content.buffer, t.content.byteOffset, t.content.byteLength);
  const { eTag, contentHash, contentLength, contentType } = p;
  if (typeof eTag !== 'string' || !/^"[^"]+"$/.test(eTag) || typeof contentHash !== 'string' || contentHash === '') return undefined;
  if (typeof contentLength === 'number' && contentLength !== bytes.length) return undefined;
  if (createHash('md5').update(bytes).digest('base64') !== contentHash) return undefined;
  const metadata = Object.fromEntries(Object.entries(t.metadata).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    blob: {
      container,
      name,
      size: bytes.length,
      contentType: typeof contentType === 'string' && contentType !== '' ? contentType : DEFAULT_CONTENT_TYPE,
      metadata,
      etag: eTag,
    },
    bytes,
  };
}

/**
 * A reply blob in the replies container, named by the request id (an extension allowed).
 * `triggered`: what the trigger read already, used instead of reading the blob again when it can be
 * tied to one version.
 */
export async function deliverBlobReply(name: string, deps: DeliveryDeps, triggered?: TriggeredBlob): Promise<DeliveryResult> {
  const { blobs, config } = deps;
  const given = triggered === undefined ? undefined : triggeredVersion(config.repliesContainer, name, triggered);
  const blob = given?.blob ?? (await blobs.describe(config.repliesContainer, name));
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
    read = given?.bytes ?? (await blobs.read(blob.container, blob.name, blob.etag));
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
