// A reply sent the way a backend sends one: a blob named by the request id in the replies
// container (the blob trigger picks it up) or a message on the reply topic with correlationId =
// the request id (the Service Bus trigger does). `npm run reply`, the demo backend and the
// console's reply form all go through here, so a tester's reply meets the same intake rules
// (late, duplicate, malformed → set aside) as a real backend's.
import { randomUUID } from 'node:crypto';
import type { ServiceBusMessage } from '@azure/service-bus';
import type { Given } from '../connections/clients.js';
import type { ServiceBusConnection } from '../connections/servicebus-connection.js';
import type { StorageConnection } from '../connections/storage-connection.js';
import { blobStoreFor } from './blob-store.js';
import { isJsonMediaType } from './contract.js';
import { serviceBusFor } from './servicebus-port.js';

interface ReplyBase {
  id: string;
  body: Buffer;
  contentType: string;
  status?: number;
}

export interface BlobReplyArgs extends ReplyBase {
  via?: 'blob';
  /** A connection string (scripts, tests) or the gateway's resolved connection (the console). */
  connection: Given<StorageConnection>;
  container: string;
  blobName: string;
}

export interface ServiceBusReplyArgs extends ReplyBase {
  via: 'servicebus';
  connection: Given<ServiceBusConnection>;
  topic: string;
}

export type ReplyArgs = BlobReplyArgs | ServiceBusReplyArgs;

/** `{id}.json` for JSON, `{id}` otherwise: both name request `id` (requestIdOfBlobName). */
export function replyBlobName(id: string, contentType: string): string {
  return isJsonMediaType(contentType) ? `${id}.json` : id;
}

/** A reply message as the gateway reads it: correlationId = request id, optional status property. */
export function replyMessage(reply: Pick<ReplyBase, 'id' | 'body' | 'contentType' | 'status'>): ServiceBusMessage {
  return {
    body: reply.body,
    contentType: reply.contentType,
    correlationId: reply.id,
    messageId: randomUUID(),
    applicationProperties: reply.status !== undefined ? { status: reply.status } : {},
  };
}

export async function sendReply(args: ReplyArgs): Promise<void> {
  if (args.via === 'servicebus') {
    await serviceBusFor(args.connection).send(args.topic, replyMessage(args));
    return;
  }
  await blobStoreFor(args.connection).write(args.container, args.blobName, args.body, {
    contentType: args.contentType,
    metadata: args.status !== undefined ? { status: String(args.status) } : {},
  });
}
