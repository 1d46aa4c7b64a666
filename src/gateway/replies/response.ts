// Turns a delivered reply into the HTTP answer, the same for the sync submit call and for
// GET /results/{id}: the backend's status and content type, the bytes exactly as they came.
import type { BlobStore } from '../blob-store.js';
import { isClaimCheckFor, type ReplyEnvelope } from '../contract.js';
import { GatewayError } from '../errors.js';
import type { EdgeResponse } from '../http-edge.js';

// Statuses whose responses cannot carry a body (fetch's Response refuses one).
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export async function replyResponse(
  reply: ReplyEnvelope,
  store: { blobs: Pick<BlobStore, 'read'>; replyBodiesContainer: string },
  requestId: string,
  headers: Record<string, string> = {},
): Promise<EdgeResponse> {
  let bytes: Buffer | undefined;
  if (reply.ref !== undefined) {
    const { container, blobName, etag, size } = reply.ref;
    // The reference came in a `reply` event, which anything reaching the management API can
    // raise: only a claim check the gateway itself makes for this request is ever followed.
    if (!isClaimCheckFor(reply.ref, { id: requestId, replyBodiesContainer: store.replyBodiesContainer })) {
      throw new GatewayError(
        'reply-unavailable',
        `The reply to request ${requestId} does not point at its own claim check; it is not served.`,
        { requestId },
      );
    }
    // Pinned to the ETag delivered, so a blob replaced since is not passed off as it.
    bytes = await store.blobs.read(container, blobName, etag);
    if (bytes !== undefined && bytes.length !== size) bytes = undefined;
    if (bytes === undefined) {
      throw new GatewayError('reply-unavailable', `The reply to request ${requestId} was removed or replaced after delivery.`, {
        requestId,
      });
    }
  } else {
    bytes = Buffer.from(reply.body ?? '', 'base64');
  }
  if (NULL_BODY_STATUSES.has(reply.status)) return { status: reply.status, headers };
  return { status: reply.status, headers: { ...headers, 'Content-Type': reply.contentType }, body: bytes };
}
