// Messages as the broker keeps them (rhea's decoded form), the batch envelope the SDK sends, and
// the annotations the broker stamps on each delivery.
import { message as rheaMessage, types } from 'rhea';

/**
 * A message as rhea decodes it: header and properties fields flattened onto one object. The broker
 * keeps this form and re-encodes it with rhea on delivery. The SDK encodes with the same rhea
 * wrappers, so what a receiver decodes equals what the sender encoded (a data-section body stays
 * a rhea `Section`, byte for byte).
 */
export interface AmqpMessage {
  readonly durable?: boolean;
  readonly priority?: number;
  readonly ttl?: number;
  readonly first_acquirer?: boolean;
  readonly delivery_count?: number;
  readonly delivery_annotations?: Readonly<Record<string, unknown>>;
  readonly message_annotations?: Readonly<Record<string, unknown>>;
  readonly message_id?: unknown;
  readonly user_id?: Buffer;
  readonly to?: string;
  readonly subject?: string;
  readonly reply_to?: string;
  readonly correlation_id?: unknown;
  readonly content_type?: string;
  readonly content_encoding?: string;
  readonly absolute_expiry_time?: Date;
  readonly creation_time?: Date;
  readonly group_id?: string;
  readonly group_sequence?: number;
  readonly reply_to_group_id?: string;
  readonly application_properties?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly footer?: Readonly<Record<string, unknown>>;
}

/** Message format of `sendMessages([...])` and batches: data sections that are each a message. */
export const batchMessageFormat = 0x80013700;

/** What the broker stamps on each delivery, as the SDK reads them. */
export interface BrokerAnnotations {
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
  readonly lockedUntil?: number;
}

export function decodeMessage(bytes: Buffer): AmqpMessage {
  return withoutDeliveryAnnotations(rheaMessage.decode(bytes) as AmqpMessage);
}

/** Delivery annotations belong to one hop (sender → broker) and are not passed on. */
export function withoutDeliveryAnnotations(message: AmqpMessage): AmqpMessage {
  if (message.delivery_annotations === undefined) return message;
  return Object.fromEntries(Object.entries(message).filter(([field]) => field !== 'delivery_annotations'));
}

export function unpackBatch(envelope: Buffer): AmqpMessage[] {
  const body = (rheaMessage.decode(envelope) as AmqpMessage).body;
  if (!isDataSection(body)) throw new Error('a batch envelope must carry its messages in data sections');
  const parts = body.multiple ? (body.content as Buffer[]) : [body.content as Buffer];
  return parts.map(decodeMessage);
}

export function encodeForDelivery(message: AmqpMessage, deliveryCount: number, stamp: BrokerAnnotations): Buffer {
  const annotations: Record<string, unknown> = {
    ...message.message_annotations,
    // A long, as the service sends it: the SDK turns it into a Long sequence number.
    'x-opt-sequence-number': types.wrap_long(stamp.sequenceNumber),
    'x-opt-enqueued-time': new Date(stamp.enqueuedAt),
  };
  if (stamp.lockedUntil !== undefined) annotations['x-opt-locked-until'] = new Date(stamp.lockedUntil);
  return rheaMessage.encode({ ...message, delivery_count: deliveryCount, message_annotations: annotations });
}

/** Copy with application properties added or replaced (dead-letter reason, propertiesToModify). */
export function withApplicationProperties(message: AmqpMessage, changes: Readonly<Record<string, unknown>>): AmqpMessage {
  const defined = Object.entries(changes).filter(([, value]) => value !== undefined && value !== null);
  if (defined.length === 0) return message;
  return { ...message, application_properties: { ...message.application_properties, ...Object.fromEntries(defined) } };
}

interface DataSection {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}

function isDataSection(body: unknown): body is DataSection {
  return typeof body === 'object' && body !== null && (body as DataSection).typecode === 0x75;
}
