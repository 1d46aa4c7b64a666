// The console's reply form, checked and turned into the reply a backend would send (blob or Service
// Bus, backend-reply.ts). It adds no way in: the reply reaches the request only through the reply
// trigger and its intake rules, exactly as `npm run reply` does.
import type { HttpRequest } from '@azure/functions';
import { type ReplyArgs, replyBlobName } from '../backend-reply.js';
import type { GatewayConfig } from '../config.js';
import { isJsonMediaType } from '../contract.js';
import { isHttpStatus } from '../contract-guards.js';
import { GatewayError } from '../errors.js';
import { readBody } from '../submission.js';

export type ReplyChannel = 'blob' | 'servicebus';

/** The channels a tester can answer through: blobs always, Service Bus when it is configured. */
export function replyChannels(config: GatewayConfig): { channels: ReplyChannel[]; preferred: ReplyChannel } {
  const channels: ReplyChannel[] = config.serviceBus !== undefined ? ['blob', 'servicebus'] : ['blob'];
  // Answer the way the backend would: on the channel the request went out on.
  return { channels, preferred: config.requestChannel === 'servicebus' && config.serviceBus !== undefined ? 'servicebus' : 'blob' };
}

// type/subtype with optional parameters, visible ASCII: it becomes a blob header or a message property.
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?$/;

function invalid(detail: string, requestId: string): GatewayError {
  return new GatewayError('invalid-reply', detail, { requestId });
}

/**
 * Reads `{ body, contentType, status?, via? }`. Only `application/json` is taken: a page on another
 * origin cannot send that without a CORS preflight, which the gateway never grants.
 */
export async function readTesterReply(request: HttpRequest, id: string, config: GatewayConfig): Promise<ReplyArgs> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!isJsonMediaType(contentType)) throw invalid('Send the reply form as application/json.', id);
  let form: unknown;
  try {
    form = JSON.parse((await readBody(request, config.maxBodyBytes)).toString('utf8'));
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError('malformed-json', 'The reply form is not valid JSON.', { requestId: id });
  }
  if (typeof form !== 'object' || form === null || Array.isArray(form))
    throw invalid('Expected an object {body, contentType, status?, via?}.', id);
  const fields = form as Record<string, unknown>;
  if (typeof fields.body !== 'string') throw invalid('"body" must be a string.', id);
  const replyType = fields.contentType ?? 'application/json';
  if (typeof replyType !== 'string' || !MEDIA_TYPE.test(replyType))
    throw invalid('"contentType" must be a media type such as application/json.', id);
  if (isJsonMediaType(replyType)) {
    try {
      JSON.parse(fields.body);
    } catch {
      throw invalid(`The reply is not valid JSON, as its content type ${replyType} says it is.`, id);
    }
  }
  if (fields.status !== undefined && !isHttpStatus(fields.status)) throw invalid('"status" must be an integer from 200 to 599.', id);
  const { channels, preferred } = replyChannels(config);
  const via = fields.via ?? preferred;
  if (via !== 'blob' && via !== 'servicebus') throw invalid('"via" must be blob or servicebus.', id);
  if (!channels.includes(via)) throw invalid('Service Bus is not configured on this gateway (ServiceBusConnection); reply via blob.', id);

  const reply = {
    id,
    body: Buffer.from(fields.body, 'utf8'),
    contentType: replyType,
    ...(fields.status !== undefined ? { status: fields.status } : {}),
  };
  const serviceBus = config.serviceBus;
  if (via === 'servicebus' && serviceBus !== undefined) {
    return { ...reply, via, connection: serviceBus.connection, topic: serviceBus.replyTopic };
  }
  return {
    ...reply,
    via: 'blob',
    connection: config.storageConnection,
    container: config.repliesContainer,
    blobName: replyBlobName(id, replyType),
  };
}

/** Where the reply went, for the form's confirmation. */
export function replyDestination(reply: ReplyArgs): string {
  return reply.via === 'servicebus' ? `topic ${reply.topic}` : `${reply.container}/${reply.blobName}`;
}
