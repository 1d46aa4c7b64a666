// The sending side of the endpoint: what an SDK sender transfers is checked (size, format),
// handed to its queue or topic, and answered `accepted` only once the journal holds it.
import { randomUUID } from 'node:crypto';
import type { EventContext, Receiver } from 'rhea';
import { type AmqpFailure, internalError, messageSizeExceeded, notImplemented, toAmqpFailure } from './amqp-errors.js';
import { type AmqpMessage, batchMessageFormat, unpackBatch, withoutDeliveryAnnotations } from './amqp-message.js';
import type { SendTarget } from './entity-registry.js';
import type { Journal } from './journal.js';
import { encodeMessage } from './journal-rows.js';

interface TransferContext extends EventContext {
  /** Set by rhea for a non-zero message format; the message is then the raw payload. */
  readonly format?: number;
}

export interface IngressOptions {
  readonly journal: Journal;
  /** Largest transfer accepted (a batch counts whole, as on the service). */
  readonly maxMessageSizeInBytes: number;
}

/** Takes what an SDK sender transfers and enqueues it; each transfer is answered accepted or rejected. */
export function acceptMessagesInto(receiver: Receiver, target: SendTarget, options: IngressOptions): void {
  const reject = (context: TransferContext, failure: AmqpFailure): void => {
    // A separate tick, so rhea cannot merge this rejection with a neighbouring acceptance.
    setImmediate(() => {
      if (receiver.is_open()) context.delivery?.reject(failure.toAmqpError());
    });
  };
  receiver.on('message', (context: TransferContext) => {
    try {
      const messages = messagesOf(context, options.maxMessageSizeInBytes);
      // A batch goes into the journal as one line: all of it or none survives a crash.
      options.journal.atomically(() => {
        for (const { message, encoded } of messages) target.send(message, encoded);
      });
    } catch (error) {
      return reject(context, toAmqpFailure(error));
    }
    // Accepted means on disk: the sender may forget the message once it hears this.
    options.journal.durable((error) => {
      if (error) reject(context, internalError(error.message));
      else if (receiver.is_open()) context.delivery?.accept();
    });
  });
}

interface Incoming {
  readonly message: AmqpMessage;
  /** The message as stored, when it had to be encoded anyway (to measure it). */
  readonly encoded?: Buffer;
}

/** All of a transfer's messages are checked before any is enqueued: a batch is taken whole or not at all. */
function messagesOf(context: TransferContext, maxBytes: number): Incoming[] {
  const format = context.format ?? 0;
  if (format === batchMessageFormat) {
    const envelope = context.message as unknown as Buffer;
    if (envelope.length > maxBytes) throw messageSizeExceeded(envelope.length, maxBytes);
    return unpackBatch(envelope).map((message) => ({ message: withMessageId(message) }));
  }
  if (format !== 0) throw notImplemented(`Message format 0x${format.toString(16)}`);
  const message = withMessageId(withoutDeliveryAnnotations((context.message ?? {}) as AmqpMessage));
  // rhea hands over the decoded message only; its encoding is what the sender's SDK sent, bar the
  // delivery annotations, and is what the journal stores.
  const encoded = encodeMessage(message);
  if (encoded.length > maxBytes) throw messageSizeExceeded(encoded.length, maxBytes);
  return [{ message, encoded }];
}

/**
 * The service gives every message an id when the sender set none, and the SDK relies on it: its
 * lock renewer keys messages by `messageId`.
 */
function withMessageId(message: AmqpMessage): AmqpMessage {
  return message.message_id === undefined ? { ...message, message_id: randomUUID().replaceAll('-', '') } : message;
}
