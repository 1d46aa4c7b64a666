import { encodeForDelivery, withApplicationProperties, type AmqpMessage } from './amqp-message.js';
import { lockLost, notAllowed, notImplemented } from './amqp-errors.js';
import type { Disposition } from './dispositions.js';
import { PeekLocks } from './peek-locks.js';
import type { EntitySettings } from './topology.js';

export type ReceiveMode = 'peekLock' | 'receiveAndDelete';

/** A queue's or subscription's settings with the service's defaults filled in. */
export type StoreSettings = EntitySettings & Required<Pick<EntitySettings, 'lockDurationMs' | 'maxDeliveryCount'>>;

export interface Delivered {
  readonly bytes: Buffer;
  /** Present in peek-lock mode: the token settlement and renewal refer to. */
  readonly lockToken?: string;
}

interface Entry {
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
  readonly expiresAt: number;
  message: AmqpMessage;
  /** Failed deliveries so far (abandon, lock expiry): the header's delivery-count. */
  deliveryCount: number;
}

/**
 * One queue, subscription or dead-letter queue: messages in memory, handed out in sequence order
 * under a peek lock (or removed at once in receiveAndDelete mode).
 */
export class MessageStore {
  /** Every message still in the store, available or locked (peek sees both). */
  private readonly entries = new Map<number, Entry>();
  private readonly available: Entry[] = [];
  private readonly locks: PeekLocks<Entry>;
  private readonly listeners = new Set<() => void>();
  private lastSequenceNumber = 0;

  constructor(
    readonly path: string,
    private readonly settings: StoreSettings,
    /** Absent for a dead-letter queue itself. */
    readonly deadLetterQueue?: MessageStore,
  ) {
    this.locks = new PeekLocks(settings.lockDurationMs, (entry) => this.countFailedDelivery(entry));
  }

  enqueue(message: AmqpMessage): void {
    const enqueuedAt = Date.now();
    const ttl = Math.min(message.ttl ?? Infinity, this.settings.defaultMessageTimeToLiveMs ?? Infinity);
    this.admit({ sequenceNumber: ++this.lastSequenceNumber, enqueuedAt, expiresAt: enqueuedAt + ttl, message, deliveryCount: 0 });
  }

  /** Called whenever a message becomes available; returns the unsubscribe function. */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  receive(mode: ReceiveMode): Delivered | undefined {
    this.expireMessages();
    const entry = this.available.shift();
    if (!entry) return undefined;
    if (mode === 'receiveAndDelete') {
      this.entries.delete(entry.sequenceNumber);
      return { bytes: encodeForDelivery(entry.message, entry.deliveryCount, entry) };
    }
    const { token, lockedUntil } = this.locks.lock(entry);
    return { bytes: encodeForDelivery(entry.message, entry.deliveryCount, { ...entry, lockedUntil }), lockToken: token };
  }

  settle(lockToken: string, disposition: Disposition): void {
    if (!this.locks.holds(lockToken)) throw lockLost(lockToken);
    // Refusals come before the lock is taken, so the message stays locked as if nothing happened.
    if (disposition.kind === 'defer') throw notImplemented('Deferring messages (defer, receiveDeferredMessages)');
    if (disposition.kind === 'deadLetter' && !this.deadLetterQueue) {
      throw notAllowed(`'${this.path}' is a dead-letter queue; its messages cannot be dead-lettered again.`);
    }
    const entry = this.locks.take(lockToken);
    if (!entry) throw lockLost(lockToken);
    switch (disposition.kind) {
      case 'complete':
        this.entries.delete(entry.sequenceNumber);
        return;
      case 'abandon':
        entry.message = withApplicationProperties(entry.message, disposition.propertiesToModify ?? {});
        return this.countFailedDelivery(entry);
      case 'deadLetter':
        entry.message = withApplicationProperties(entry.message, disposition.propertiesToModify ?? {});
        return this.moveToDeadLetterQueue(entry, disposition.reason, disposition.description);
      case 'release':
        return this.makeAvailable(entry);
    }
  }

  /** Returns the new lockedUntil time (ms since epoch). */
  renewLock(lockToken: string): number {
    const lockedUntil = this.locks.renew(lockToken);
    if (lockedUntil === undefined) throw lockLost(lockToken);
    return lockedUntil;
  }

  /** Messages from a sequence number on, locked ones included, as the service's peek does. */
  peek(fromSequenceNumber: number, maxCount: number): Buffer[] {
    this.expireMessages();
    return [...this.entries.values()]
      .filter((entry) => entry.sequenceNumber >= fromSequenceNumber)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, maxCount)
      .map((entry) => encodeForDelivery(entry.message, entry.deliveryCount, entry));
  }

  close(): void {
    this.locks.clear();
    this.listeners.clear();
    this.deadLetterQueue?.close();
  }

  private admit(entry: Entry): void {
    this.entries.set(entry.sequenceNumber, entry);
    this.makeAvailable(entry);
  }

  private makeAvailable(entry: Entry): void {
    // Sorted insert: an abandoned message goes back ahead of younger ones, as on the service.
    let index = this.available.length;
    while (index > 0 && (this.available[index - 1]?.sequenceNumber ?? 0) > entry.sequenceNumber) index--;
    this.available.splice(index, 0, entry);
    for (const listener of [...this.listeners]) listener();
  }

  private countFailedDelivery(entry: Entry): void {
    entry.deliveryCount++;
    if (this.deadLetterQueue && entry.deliveryCount >= this.settings.maxDeliveryCount) {
      const description = `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`;
      this.moveToDeadLetterQueue(entry, 'MaxDeliveryCountExceeded', description);
    } else {
      this.makeAvailable(entry);
    }
  }

  private moveToDeadLetterQueue(entry: Entry, reason: string | undefined, description: string | undefined): void {
    this.entries.delete(entry.sequenceNumber);
    const message = withApplicationProperties(entry.message, { DeadLetterReason: reason, DeadLetterErrorDescription: description });
    // Dead-lettered messages keep their sequence number and do not expire, as on the service.
    this.deadLetterQueue?.admit({ ...entry, message, expiresAt: Infinity });
  }

  private expireMessages(): void {
    const now = Date.now();
    for (const entry of this.available.filter((candidate) => candidate.expiresAt <= now)) {
      this.available.splice(this.available.indexOf(entry), 1);
      if (this.settings.deadLetteringOnMessageExpiration && this.deadLetterQueue) {
        this.moveToDeadLetterQueue(entry, 'TTLExpiredException', 'The message expired and was dead lettered.');
      } else {
        this.entries.delete(entry.sequenceNumber);
      }
    }
  }
}
