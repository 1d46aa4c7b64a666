// A queue's or subscription's messages (and each one's dead-letter queue): sequence order, peek
// locks, delivery counts, time to live. Every change is also written to the journal, so a
// restarted endpoint loads the same state (memory-only when the journal is).

import { lockLost, notAllowed, notImplemented } from './amqp-errors.js';
import { type AmqpMessage, encodeForDelivery, withApplicationProperties } from './amqp-message.js';
import type { Disposition } from './dispositions.js';
import type { Journal, Row } from './journal.js';
import { encodeMessage, messageOfRow, numberOfRow, rowKey, storedNumber } from './journal-rows.js';
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
  /** The message's encoding, kept only while the journal needs it for a row. */
  encoded?: Buffer;
}

/**
 * One queue, subscription or dead-letter queue: messages handed out in sequence order under a
 * peek lock (or removed at once in receiveAndDelete mode).
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
    private readonly journal: Journal,
    /** Absent for a dead-letter queue itself. */
    readonly deadLetterQueue?: MessageStore,
  ) {
    this.locks = new PeekLocks(settings.lockDurationMs, (entry) => this.countFailedDelivery(entry));
  }

  /** `encoded` saves encoding the message again when the caller already has its bytes. */
  enqueue(message: AmqpMessage, encoded?: Buffer, sequenceNumber = this.nextSequenceNumber()): void {
    const enqueuedAt = Date.now();
    const ttl = Math.min(message.ttl ?? Infinity, this.settings.defaultMessageTimeToLiveMs ?? Infinity);
    const entry: Entry = { sequenceNumber, enqueuedAt, expiresAt: enqueuedAt + ttl, message, deliveryCount: 0, encoded };
    this.journal.write([this.putOp(entry)]);
    this.admit(entry);
  }

  /** Scheduled messages take their sequence number when scheduled, as on the service. */
  nextSequenceNumber(): number {
    return ++this.lastSequenceNumber;
  }

  /** Loads a message row of a restarted endpoint. A lock held at the crash ended like an expired one. */
  restore(sequenceNumber: number, row: Row): void {
    this.lastSequenceNumber = Math.max(this.lastSequenceNumber, sequenceNumber);
    const entry: Entry = {
      sequenceNumber,
      enqueuedAt: numberOfRow(row, 't'),
      expiresAt: numberOfRow(row, 'x'),
      message: messageOfRow(row),
      deliveryCount: numberOfRow(row, 'd'),
    };
    if (row.l === 1) {
      this.entries.set(sequenceNumber, entry);
      this.countFailedDelivery(entry);
    } else {
      this.admit(entry);
    }
  }

  restoreCounter(lastSequenceNumber: number): void {
    this.lastSequenceNumber = Math.max(this.lastSequenceNumber, lastSequenceNumber);
  }

  /** Every row this store (and its dead-letter queue) needs to come back after a restart. */
  *rows(): Generator<[string, Row]> {
    yield [rowKey('counter', this.path), { n: this.lastSequenceNumber }];
    for (const entry of this.entries.values()) {
      const { put, row } = this.putOp(entry);
      yield [put, row];
    }
    if (this.deadLetterQueue) yield* this.deadLetterQueue.rows();
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
      this.remove(entry);
      return { bytes: encodeForDelivery(entry.message, entry.deliveryCount, entry) };
    }
    const { token, lockedUntil } = this.locks.lock(entry);
    // Not waited for: it only lets a restart count the interrupted delivery.
    this.journal.write([{ merge: this.keyOf(entry), fields: { l: 1 } }]);
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
        return this.remove(entry);
      case 'abandon':
        this.modify(entry, disposition.propertiesToModify);
        return this.countFailedDelivery(entry);
      case 'deadLetter':
        this.modify(entry, disposition.propertiesToModify);
        return this.moveToDeadLetterQueue(entry, disposition.reason, disposition.description);
      case 'release':
        this.journal.write([{ merge: this.keyOf(entry), fields: { l: 0 } }]);
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

  private remove(entry: Entry): void {
    this.entries.delete(entry.sequenceNumber);
    this.journal.write([{ del: this.keyOf(entry) }]);
  }

  private modify(entry: Entry, propertiesToModify: Readonly<Record<string, unknown>> | undefined): void {
    const message = withApplicationProperties(entry.message, propertiesToModify ?? {});
    if (message === entry.message) return;
    entry.message = message;
    entry.encoded = undefined;
  }

  private keyOf(entry: Entry): string {
    return rowKey('message', this.path, entry.sequenceNumber);
  }

  private putOp(entry: Entry): { put: string; row: Row } {
    const row: Row = this.journal.persistent
      ? {
          t: entry.enqueuedAt,
          x: storedNumber(entry.expiresAt),
          d: entry.deliveryCount,
          m: (entry.encoded ?? encodeMessage(entry.message)).toString('base64'),
        }
      : {};
    // Kept for the journal's next put of this entry only; a snapshot re-encodes.
    entry.encoded = undefined;
    return { put: this.keyOf(entry), row };
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
      this.journal.write([this.putOp(entry)]);
      this.makeAvailable(entry);
    }
  }

  private moveToDeadLetterQueue(entry: Entry, reason: string | undefined, description: string | undefined): void {
    this.entries.delete(entry.sequenceNumber);
    const message = withApplicationProperties(entry.message, { DeadLetterReason: reason, DeadLetterErrorDescription: description });
    const deadLetterQueue = this.deadLetterQueue;
    if (!deadLetterQueue) return;
    // As on the service, a dead-lettered message takes the next number of the dead-letter queue's
    // own sequence (and no longer expires). Keeping the source's number broke peek: the SDK pages
    // on from the last number it peeked, so a message dead-lettered later with a lower source
    // number (an older one hitting MaxDeliveryCount) was never seen.
    const moved: Entry = {
      ...entry,
      sequenceNumber: deadLetterQueue.nextSequenceNumber(),
      message,
      expiresAt: Infinity,
      encoded: undefined,
    };
    // One line: the message is in exactly one of the two after a crash.
    this.journal.write([{ del: this.keyOf(entry) }, deadLetterQueue.putOp(moved)]);
    deadLetterQueue.admit(moved);
  }

  private expireMessages(): void {
    const now = Date.now();
    for (const entry of this.available.filter((candidate) => candidate.expiresAt <= now)) {
      this.available.splice(this.available.indexOf(entry), 1);
      if (this.settings.deadLetteringOnMessageExpiration && this.deadLetterQueue) {
        this.moveToDeadLetterQueue(entry, 'TTLExpiredException', 'The message expired and was dead lettered.');
      } else {
        this.remove(entry);
      }
    }
  }
}
