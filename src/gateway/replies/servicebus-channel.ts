// The Service Bus reply channel: one reply message from the reply topic's subscription, handed
// here by functions/serviceBusReply.ts, delivered through delivery.ts's loop. The function
// settles its own trigger message (message actions, `settleServiceBusReply`): complete once the
// reply is delivered (or known delivered), dead-letter it in place with `deadLetterReason` /
// `deadLetterErrorDescription` (the set-aside reasons of intake.ts) when it is rejected, abandon
// it when delivery failed for a reason that may pass, so it is delivered again.
//
// Fallback (GATEWAY_REPLY_SET_ASIDE=forward): a rejected reply is forwarded, bytes and properties
// intact, to the rejected-replies queue with the `DeadLetterReason` / `DeadLetterErrorDescription`
// application properties a dead-lettered message carries, and completed. If that send fails the
// message is abandoned and comes back; past MaxDeliveryCount the broker dead-letters it: a reply
// is never dropped.
import { randomUUID } from 'node:crypto';
import type { ServiceBusMessage } from '@azure/service-bus';
import { type BlobStore, DEFAULT_CONTENT_TYPE, metadataValue, type StoredBlob } from '../blob-store.js';
import type { GatewayConfig, ServiceBusSettings } from '../config.js';
import { isJsonMediaType } from '../contract.js';
import type { ServiceBusPort } from '../servicebus-port.js';
import { type DeliveryLoopDeps, type DeliveryResult, deliverReply, replyEnvelope, setAsideUnparsed } from './delivery.js';
import { checkReplyBody, parseReplyMessage, type SetAsideReason } from './intake.js';

/** What the trigger hands over about one reply message. */
export interface ReceivedReply {
  body: Buffer;
  contentType: string | undefined;
  correlationId: unknown;
  messageId: unknown;
  /** The broker's number for this message in the subscription; the same on every redelivery. */
  sequenceNumber: unknown;
  subject: unknown;
  applicationProperties: Readonly<Record<string, unknown>>;
}

/** The trigger message's settlement, as the function's message actions offer it. */
export interface ReplySettlement {
  complete(): Promise<void>;
  abandon(): Promise<void>;
  deadLetter(reason: SetAsideReason, description: string): Promise<void>;
}

export interface ServiceBusReplyDeps extends DeliveryLoopDeps {
  blobs: Pick<BlobStore, 'write' | 'describe' | 'remove'>;
  bus: Pick<ServiceBusPort, 'send'>;
  settlement: ReplySettlement;
  config: Pick<GatewayConfig, 'inlineReplyBytes' | 'replyGraceMs' | 'pollIntervalMs'> & {
    serviceBus: Pick<ServiceBusSettings, 'replyTopic' | 'replySubscription' | 'setAside' | 'rejectedQueue' | 'replyBodiesContainer'>;
  };
}

/**
 * The body's bytes. A host that honours the trigger's `dataType: 'binary'` hands a Buffer, exact.
 * Otherwise the Node worker has already decoded it as UTF-8 and parsed it when it was JSON; then
 * the bytes are rebuilt as text or compact JSON, exact for UTF-8 text and compact JSON only.
 */
export function messageBodyBytes(body: unknown, contentType: string | undefined): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body === undefined) return Buffer.alloc(0);
  // A JSON string literal ("abc") arrives parsed as abc: only the content type tells it from text.
  if (typeof body === 'string' && !isJsonMediaType(contentType ?? '')) return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function messageReplyId(reply: Pick<ReceivedReply, 'sequenceNumber' | 'messageId'>, source: string): string {
  // The sequence number recognises a redelivered reply that was delivered already. Without one
  // (never from a broker) a fresh id makes a redelivery a duplicate: set aside, never dropped.
  const key =
    typeof reply.sequenceNumber === 'number' || typeof reply.sequenceNumber === 'string' ? `#${reply.sequenceNumber}` : `~${randomUUID()}`;
  return `servicebus:${source}${key}`;
}

type PropertyValue = NonNullable<ServiceBusMessage['applicationProperties']>[string];

// Whatever the trigger metadata holds beyond what a message property can carry would fail the send.
function sendableProperties(properties: Readonly<Record<string, unknown>>): Record<string, PropertyValue> {
  const kept: Record<string, PropertyValue> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value === null || value instanceof Date || ['string', 'number', 'boolean'].includes(typeof value))
      kept[key] = value as PropertyValue;
  }
  return kept;
}

/** The set-aside copy: the reply as it came, plus why it was rejected and where from. */
export function rejectedMessage(reply: ReceivedReply, reason: SetAsideReason, detail: string, source: string, at: Date): ServiceBusMessage {
  const message: ServiceBusMessage = {
    body: reply.body,
    contentType: reply.contentType ?? DEFAULT_CONTENT_TYPE,
    applicationProperties: {
      ...sendableProperties(reply.applicationProperties),
      DeadLetterReason: reason,
      DeadLetterErrorDescription: detail,
      DeadLetterSource: source,
      RejectedAt: at.toISOString(),
      ...(typeof reply.sequenceNumber === 'number' ? { OriginalSequenceNumber: reply.sequenceNumber } : {}),
    },
  };
  // Kept as they came (when they are of a type a message carries), so the copy can be replayed.
  if (typeof reply.messageId === 'string' || typeof reply.messageId === 'number') message.messageId = reply.messageId;
  if (typeof reply.correlationId === 'string' || typeof reply.correlationId === 'number') message.correlationId = reply.correlationId;
  if (typeof reply.subject === 'string') message.subject = reply.subject;
  return message;
}

export async function deliverServiceBusReply(reply: ReceivedReply, deps: ServiceBusReplyDeps): Promise<DeliveryResult> {
  const { blobs, bus, config } = deps;
  const settings = config.serviceBus;
  const source = `${settings.replyTopic}/Subscriptions/${settings.replySubscription}`;
  let claimCheck: StoredBlob | undefined;
  const setAside = async (reason: SetAsideReason, detail: string): Promise<string> => {
    let movedTo: string;
    if (settings.setAside === 'deadletter') {
      await deps.settlement.deadLetter(reason, detail);
      movedTo = `${source}/$DeadLetterQueue`;
    } else {
      await bus.send(settings.rejectedQueue, rejectedMessage(reply, reason, detail, source, new Date(deps.now())));
      movedTo = settings.rejectedQueue;
    }
    // Written for a raise that lost (a duplicate, say): the set-aside message holds the bytes now.
    if (claimCheck !== undefined) await blobs.remove(claimCheck);
    return movedTo;
  };
  const parsed = parseReplyMessage({
    correlationId: reply.correlationId,
    size: reply.body.length,
    applicationProperties: reply.applicationProperties,
  });
  if (!parsed.ok) return setAsideUnparsed(parsed, setAside);
  const refused = checkReplyBody(reply.contentType ?? DEFAULT_CONTENT_TYPE, reply.body);
  if (refused !== undefined) return setAsideUnparsed(refused, setAside);

  const replyId = messageReplyId(reply, source);
  return deliverReply(
    {
      requestId: parsed.requestId,
      replyId,
      envelope: async (receivedAt) => {
        const facts = { replyId, status: parsed.status, contentType: reply.contentType ?? DEFAULT_CONTENT_TYPE, receivedAt };
        if (reply.body.length <= config.inlineReplyBytes) return replyEnvelope(facts, { body: reply.body });
        claimCheck = await storeClaimCheck(blobs, settings.replyBodiesContainer, parsed.requestId, replyId, reply.body, facts.contentType);
        const { container, name: blobName, size, etag } = claimCheck;
        return replyEnvelope(facts, { ref: { container, blobName, size, etag } });
      },
      setAside,
      // settleServiceBusReply completes the message; a claim-check blob stays for results.
      delivered: () => Promise.resolve(),
    },
    deps,
  );
}

/**
 * Delivers the reply and settles its message: dead-lettered (already, by the set-aside) when it
 * was rejected in `deadletter` mode, completed otherwise; abandoned, and the error rethrown so the
 * invocation shows as failed, when delivery failed.
 */
export async function settleServiceBusReply(reply: ReceivedReply, deps: ServiceBusReplyDeps): Promise<DeliveryResult> {
  let outcome: DeliveryResult;
  try {
    outcome = await deliverServiceBusReply(reply, deps);
  } catch (err) {
    // The lock runs out anyway if this fails too; the original error is the one worth reporting.
    await deps.settlement.abandon().catch(() => undefined);
    throw err;
  }
  if (outcome.result !== 'setAside' || deps.config.serviceBus.setAside === 'forward') await deps.settlement.complete();
  return outcome;
}

// A message cannot be pointed at once it is completed, so a body too large for Durable state is
// copied to a blob and passed by reference, as blob replies are. A fresh name per attempt: a
// redelivery racing an earlier raise must not replace the bytes that raise points at.
async function storeClaimCheck(
  blobs: ServiceBusReplyDeps['blobs'],
  container: string,
  requestId: string,
  replyId: string,
  body: Buffer,
  contentType: string,
): Promise<StoredBlob> {
  const name = `${requestId}/${randomUUID()}`;
  await blobs.write(container, name, body, { contentType, metadata: { replyid: metadataValue(replyId) } });
  const stored = await blobs.describe(container, name);
  if (stored === undefined) throw new Error(`claim-check blob ${container}/${name} vanished right after it was written`);
  return stored;
}
