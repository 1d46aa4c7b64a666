import type { QueueClient } from '@azure/storage-queue';
import type { PayloadStore } from './payloads.js';
import { MAX_INLINE_CHARS } from './payloads.js';

/** Where a queued message is, to delete it once its effect is committed. */
export interface Receipt {
  messageId: string;
  popReceipt: string;
}

export interface Received<T> {
  body: T;
  receipt: Receipt;
  dequeueCount: number;
}

/** Azure Storage queues hide a message for at most 7 days; longer timers are re-sent on arrival. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 60;

/**
 * A storage queue of JSON messages. Messages this host sends for itself are sent *invisible*
 * (a lease) and handled in-process at once; the queue copy only matters if the process dies
 * before deleting it, when it reappears and the poller picks it up. So the hot path never waits
 * for a poll, yet nothing is lost across a crash.
 */
export class WorkQueue<T> {
  constructor(
    readonly client: QueueClient,
    private readonly payloads: PayloadStore,
  ) {}

  async send(body: T, invisibleForMs: number): Promise<Receipt> {
    let text = JSON.stringify(body);
    if (text.length > MAX_INLINE_CHARS) text = JSON.stringify({ $largeMessage: await this.payloads.put('$queue', text) });
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(invisibleForMs / 1000)));
    // Time-to-live -1: a timer message must outlive the default 7-day expiry.
    const res = await this.client.sendMessage(text, { visibilityTimeout: seconds, messageTimeToLive: -1 });
    return { messageId: res.messageId, popReceipt: res.popReceipt };
  }

  async receive(max: number, leaseMs: number): Promise<Received<T>[]> {
    const res = await this.client.receiveMessages({ numberOfMessages: max, visibilityTimeout: Math.ceil(leaseMs / 1000) });
    return Promise.all(
      res.receivedMessageItems.map(async (m) => {
        let parsed = JSON.parse(m.messageText) as T | { $largeMessage: string };
        if (isLarge(parsed)) parsed = JSON.parse(await this.payloads.get(parsed.$largeMessage)) as T;
        return { body: parsed, receipt: { messageId: m.messageId, popReceipt: m.popReceipt }, dequeueCount: m.dequeueCount };
      }),
    );
  }

  /** Deletes a handled message. A stale receipt (the poller re-leased it meanwhile) is not an error: the redelivery is deduplicated. */
  async delete(receipt: Receipt): Promise<void> {
    await this.client.deleteMessage(receipt.messageId, receipt.popReceipt).catch((err: unknown) => {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 400) throw err;
    });
  }

  /** Makes a message visible again at once (graceful stop: the next host takes it without waiting for the lease). */
  async release(receipt: Receipt): Promise<void> {
    await this.client.updateMessage(receipt.messageId, receipt.popReceipt, undefined, 0).catch(() => undefined);
  }
}

function isLarge(v: unknown): v is { $largeMessage: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $largeMessage?: unknown }).$largeMessage === 'string';
}
