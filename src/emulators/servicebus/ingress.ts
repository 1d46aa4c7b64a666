import { randomUUID } from 'node:crypto';
import type { EventContext, Receiver } from 'rhea';
import { batchMessageFormat, unpackBatch, withoutDeliveryAnnotations, type AmqpMessage } from './amqp-message.js';
import { notImplemented, toAmqpFailure } from './amqp-errors.js';
import type { SendTarget } from './entity-registry.js';

interface TransferContext extends EventContext {
  /** Set by rhea for a non-zero message format; the message is then the raw payload. */
  readonly format?: number;
}

/** Takes what an SDK sender transfers and enqueues it; each transfer is answered accepted or rejected. */
export function acceptMessagesInto(receiver: Receiver, target: SendTarget): void {
  receiver.on('message', (context: TransferContext) => {
    const delivery = context.delivery;
    try {
      for (const message of messagesOf(context)) target.send(message);
      delivery?.accept();
    } catch (error) {
      const failure = toAmqpFailure(error);
      // A separate tick, so rhea cannot merge this rejection with a neighbouring acceptance.
      setImmediate(() => {
        if (receiver.is_open()) delivery?.reject(failure.toAmqpError());
      });
    }
  });
}

/** All of a transfer's messages are checked before any is enqueued: a batch is taken whole or not at all. */
function messagesOf(context: TransferContext): AmqpMessage[] {
  const format = context.format ?? 0;
  let messages: AmqpMessage[];
  if (format === 0) messages = [withoutDeliveryAnnotations((context.message ?? {}) as AmqpMessage)];
  else if (format === batchMessageFormat) messages = unpackBatch(context.message as unknown as Buffer);
  else throw notImplemented(`Message format 0x${format.toString(16)}`);
  return messages.map((message) => withMessageId(notScheduled(message)));
}

/** Delivering a message meant for later at once would be a silent difference from the service. */
function notScheduled(message: AmqpMessage): AmqpMessage {
  const scheduledFor = message.message_annotations?.['x-opt-scheduled-enqueue-time'];
  if (scheduledFor instanceof Date && scheduledFor.getTime() > Date.now()) {
    throw notImplemented('Scheduled messages (scheduledEnqueueTimeUtc in the future)');
  }
  return message;
}

/**
 * The service gives every message an id when the sender set none, and the SDK relies on it: its
 * lock renewer keys messages by `messageId`.
 */
function withMessageId(message: AmqpMessage): AmqpMessage {
  return message.message_id === undefined ? { ...message, message_id: randomUUID().replaceAll('-', '') } : message;
}
