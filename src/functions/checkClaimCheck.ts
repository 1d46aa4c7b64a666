// Activity: confirms that a reply event's claim check is one the gateway made for that request
// and that the blob is there exactly as the reference describes it (ETag and size). The
// orchestrator cannot read storage (it replays), and a `reply` event can be raised by anything
// that reaches the Durable management API, so a reference is followed only once this says so.
import type { ActivityHandler } from 'durable-functions';
import * as df from 'durable-functions';
import type { BlobStore } from '../gateway/blob-store.js';
import { blobStoreFor } from '../gateway/blob-store.js';
import { getConfig } from '../gateway/config.js';
import { CHECK_CLAIM_ACTIVITY_NAME, type ClaimCheckQuestion, type ClaimCheckVerdict, isClaimCheckNameFor } from '../gateway/contract.js';
import { isReplyReference } from '../gateway/contract-guards.js';

/** The verdict on `question`, against the claim checks kept in `replyBodiesContainer`. */
export async function verdictOn(
  question: ClaimCheckQuestion,
  store: { blobs: Pick<BlobStore, 'describe'>; replyBodiesContainer: string },
): Promise<ClaimCheckVerdict> {
  const { container, blobName, etag, size } = question.ref;
  // Checked again here for requests whose input predates GatewayRequest.replyBodiesContainer.
  if (container !== store.replyBodiesContainer) return { held: false, reason: `it is in container "${container}"` };
  if (!isClaimCheckNameFor(blobName, question.requestId)) return { held: false, reason: 'its name is not one made for this request' };
  const stored = await store.blobs.describe(container, blobName);
  if (stored === undefined) return { held: false, reason: 'no such blob' };
  if (stored.etag !== etag) return { held: false, reason: `the blob's ETag is ${stored.etag}, not ${etag}` };
  if (stored.size !== size) return { held: false, reason: `the blob is ${stored.size} bytes, not ${size}` };
  return { held: true };
}

function isQuestion(value: unknown): value is ClaimCheckQuestion {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return typeof fields.requestId === 'string' && isReplyReference(fields.ref);
}

export const checkClaimCheck: ActivityHandler = async (input: unknown): Promise<ClaimCheckVerdict> => {
  const question: unknown = typeof input === 'string' ? JSON.parse(input) : input;
  // Only the orchestrator calls this, with a reference that passed isReplyEnvelope.
  if (!isQuestion(question)) throw new Error('checkClaimCheck: input is not a ClaimCheckQuestion');
  const config = getConfig();
  return verdictOn(question, { blobs: blobStoreFor(config.storageConnection), replyBodiesContainer: config.replyBodiesContainer });
};

df.app.activity(CHECK_CLAIM_ACTIVITY_NAME, { handler: checkClaimCheck });
