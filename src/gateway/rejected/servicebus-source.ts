// Set-aside Service Bus replies, in the two places they can be: the reply subscription's
// dead-letter queue (rejections dead-lettered in place, and messages the broker dead-lettered
// after MaxDeliveryCount) and the forward queue GATEWAY_REJECTED_REPLY_QUEUE (rejections
// forwarded with DeadLetterReason / DeadLetterErrorDescription properties). The SDK shows both
// as `deadLetterReason` / `deadLetterErrorDescription`. A place that does not exist is empty.
//
// Service Bus cannot take one message out by its number, so show peeks up to it and replay
// receives from the head until it has it: the others it locked on the way are abandoned (their
// delivery count goes up by one; the dead-letter queue has no further dead-lettering).
import { randomUUID } from 'node:crypto';
import { isServiceBusError, type ServiceBusReceivedMessage, type ServiceBusReceiver } from '@azure/service-bus';
import Long from 'long';
import { DEFAULT_CONTENT_TYPE } from '../blob-store.js';
import type { ServiceBusSettings } from '../config.js';
import { GatewayError } from '../errors.js';
import type { ServiceBusPort } from '../servicebus-port.js';
import { bodyFields, type RejectedDetail, type RejectedItem, rejectedName, requestIdOrNull, textOf } from './rejected-item.js';
import type { RejectedSource, ReplayReceipt, ScannedReply } from './rejected-source.js';

const PAGE = 100;
/** How many messages a replay or an expiry may lock on its way to the ones it wants. */
const RECEIVE_SCAN_LIMIT = 1_000;
const RECEIVE_WAIT_MS = 1_000;
// What a set-aside copy carries about its rejection; a replay sends the reply without them.
const REJECTION_PROPERTIES = new Set([
  'deadletterreason',
  'deadlettererrordescription',
  'deadlettersource',
  'rejectedat',
  'originalsequencenumber',
]);

type Bus = Pick<ServiceBusPort, 'receiver' | 'send'>;
type Settings = Pick<ServiceBusSettings, 'rejectedQueue' | 'replyTopic' | 'replySubscription'>;
type PropertyValue = string | number | boolean | null;

function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body === undefined || body === null) return Buffer.alloc(0);
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

function propertyOf(properties: Readonly<Record<string, unknown>>, name: string): unknown {
  const key = Object.keys(properties).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : properties[key];
}

function sequenceOf(message: ServiceBusReceivedMessage): string {
  return message.sequenceNumber?.toString() ?? '';
}

function isMissingEntity(error: unknown): boolean {
  return isServiceBusError(error) && error.code === 'MessagingEntityNotFound';
}

export class ServiceBusRejectedSource implements RejectedSource {
  constructor(
    readonly place: 'queue' | 'dlq',
    private readonly bus: Bus,
    private readonly settings: Settings,
  ) {}

  async *scan(filter: { requestId?: string }, limit: number): AsyncGenerator<ScannedReply> {
    for await (const message of this.peekAll(limit)) {
      const item = this.itemOf(message);
      if (filter.requestId !== undefined && item.requestId !== filter.requestId) continue;
      yield { local: sequenceOf(message), item };
    }
  }

  async show(local: string): Promise<RejectedDetail | undefined> {
    for await (const message of this.peekAll(1, local)) {
      if (sequenceOf(message) !== local) return undefined;
      const body = bodyBytes(message.body);
      return { ...this.itemOf(message), properties: this.propertiesOf(message), ...bodyFields(body) };
    }
    return undefined;
  }

  /**
   * Sends the reply back to the reply topic (a fresh messageId, so duplicate detection cannot
   * drop it; `replayOf` names this copy), where the reply trigger takes it through the intake
   * again; then completes this copy. A failure between the two sends the reply twice, and the
   * intake sets the second aside as a duplicate: it is never lost.
   */
  async replay(local: string): Promise<ReplayReceipt> {
    const name = rejectedName({ place: this.place, local });
    let receipt: ReplayReceipt | undefined;
    const ahead = await this.positionOf((message) => sequenceOf(message) === local);
    if (ahead > 0)
      await this.receiveUntil(
        ahead,
        (message) => sequenceOf(message) === local,
        async (message, receiver) => {
          const properties = Object.fromEntries(
            Object.entries(message.applicationProperties ?? {}).filter(([k]) => !REJECTION_PROPERTIES.has(k.toLowerCase())),
          );
          await this.bus.send(this.settings.replyTopic, {
            body: bodyBytes(message.body),
            contentType: message.contentType ?? DEFAULT_CONTENT_TYPE,
            messageId: randomUUID(),
            ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
            ...(message.subject !== undefined ? { subject: message.subject } : {}),
            applicationProperties: { ...properties, replayOf: name },
          });
          await receiver.completeMessage(message);
          receipt = { name, requestId: this.itemOf(message).requestId, replayedTo: this.settings.replyTopic };
          return true;
        },
      );
    if (receipt === undefined) throw new GatewayError('rejected-not-found', `No set-aside reply ${name}.`);
    return receipt;
  }

  async expire(cutoff: Date, max: number): Promise<number> {
    // Peek first, so only a place that holds old replies is received from (and locked) at all,
    // and only as far as the last old one: the recent ones behind it are not touched.
    const old = new Set<string>();
    const ahead = await this.positionOf((message) => {
      if (old.size >= max || (message.enqueuedTimeUtc?.getTime() ?? 0) > cutoff.getTime()) return false;
      old.add(sequenceOf(message));
      return true;
    }, max);
    if (old.size === 0) return 0;
    let deleted = 0;
    await this.receiveUntil(
      ahead,
      (message) => old.has(sequenceOf(message)),
      async (message, receiver) => {
        await receiver.completeMessage(message);
        old.delete(sequenceOf(message));
        deleted++;
        return old.size === 0;
      },
    );
    return deleted;
  }

  private open(): ServiceBusReceiver {
    const options = { receiveMode: 'peekLock' as const, skipParsingBodyAsJson: true };
    return this.place === 'queue'
      ? this.bus.receiver({ queue: this.settings.rejectedQueue }, options)
      : this.bus.receiver(
          { topic: this.settings.replyTopic, subscription: this.settings.replySubscription },
          { ...options, subQueueType: 'deadLetter' },
        );
  }

  /**
   * Every message from the head (or from sequence number `from`), peeked (no lock), at most
   * `limit`. The position is passed on every peek: without it the SDK continues from the last
   * peek of any receiver on the entity in this process (it keeps one cursor per connection).
   */
  private async *peekAll(limit: number, from = '0'): AsyncGenerator<ServiceBusReceivedMessage> {
    const receiver = this.open();
    let next = Long.fromString(from);
    try {
      let seen = 0;
      while (seen < limit) {
        let batch: ServiceBusReceivedMessage[];
        try {
          batch = await receiver.peekMessages(Math.min(PAGE, limit - seen), { fromSequenceNumber: next });
        } catch (error) {
          if (isMissingEntity(error)) return;
          throw error;
        }
        if (batch.length === 0) return;
        for (const message of batch) {
          seen++;
          if (message.sequenceNumber !== undefined) next = message.sequenceNumber.add(1);
          yield message;
        }
      }
    } finally {
      await receiver.close();
    }
  }

  /**
   * How many messages from the head (peeked) reach the last one `matches` accepts, looking at
   * most RECEIVE_SCAN_LIMIT deep and stopping after `wanted` accepted ones; 0 when none does.
   */
  private async positionOf(matches: (message: ServiceBusReceivedMessage) => boolean, wanted = 1): Promise<number> {
    let position = 0;
    let seen = 0;
    let found = 0;
    for await (const message of this.peekAll(RECEIVE_SCAN_LIMIT)) {
      seen++;
      if (matches(message)) {
        position = seen;
        if (++found >= wanted) break;
      }
    }
    return position;
  }

  /**
   * Receives the first `ahead` messages from the head (peek-lock) and hands every wanted one to
   * `take` until it answers true; the others it had to lock on the way are abandoned. Receiving
   * no further than the peek found keeps the delivery counts of the messages behind untouched
   * (on the forward queue, ten abandons would dead-letter a set-aside reply a second time).
   */
  private async receiveUntil(
    ahead: number,
    wanted: (message: ServiceBusReceivedMessage) => boolean,
    take: (message: ServiceBusReceivedMessage, receiver: ServiceBusReceiver) => Promise<boolean>,
  ): Promise<void> {
    const receiver = this.open();
    const passed: ServiceBusReceivedMessage[] = [];
    try {
      let done = false;
      let received = 0;
      while (!done && received < ahead) {
        let batch: ServiceBusReceivedMessage[];
        try {
          batch = await receiver.receiveMessages(Math.min(PAGE, ahead - received), { maxWaitTimeInMs: RECEIVE_WAIT_MS });
        } catch (error) {
          if (isMissingEntity(error)) return;
          throw error;
        }
        if (batch.length === 0) break;
        received += batch.length;
        for (const message of batch) {
          if (!done && wanted(message)) done = await take(message, receiver);
          else passed.push(message);
        }
      }
    } finally {
      for (const message of passed) await receiver.abandonMessage(message).catch(() => undefined);
      await receiver.close();
    }
  }

  private itemOf(message: ServiceBusReceivedMessage): RejectedItem {
    const properties = message.applicationProperties ?? {};
    const correlationId = message.correlationId;
    const named = typeof correlationId === 'string' && correlationId !== '' ? correlationId : propertyOf(properties, 'requestId');
    return {
      name: rejectedName({ place: this.place, local: sequenceOf(message) }),
      channel: 'servicebus',
      reason: textOf(message.deadLetterReason) || textOf(propertyOf(properties, 'DeadLetterReason')) || 'unknown',
      description: textOf(message.deadLetterErrorDescription) || textOf(propertyOf(properties, 'DeadLetterErrorDescription')),
      requestId: requestIdOrNull(named),
      receivedAt: (message.enqueuedTimeUtc ?? new Date(0)).toISOString(),
      size: bodyBytes(message.body).length,
      contentType: message.contentType ?? DEFAULT_CONTENT_TYPE,
    };
  }

  private propertiesOf(message: ServiceBusReceivedMessage): Record<string, PropertyValue> {
    const kept: Record<string, PropertyValue> = {};
    for (const [key, value] of Object.entries(message.applicationProperties ?? {})) {
      kept[key] = value instanceof Date ? value.toISOString() : value;
    }
    const system = {
      messageId: message.messageId,
      correlationId: message.correlationId,
      subject: message.subject,
      deadLetterSource: message.deadLetterSource,
      deliveryCount: message.deliveryCount,
      sequenceNumber: sequenceOf(message),
    };
    for (const [key, value] of Object.entries(system)) {
      if (typeof value === 'string' || typeof value === 'number') kept[`$${key}`] = value;
    }
    return kept;
  }
}
