// The receiving side of one client link: messages leave a store as the link's credit allows, and
// the client's outcomes come back as settlements of the store's peek locks.
import { randomUUID } from 'node:crypto';
import type { Delivery, EventContext, Sender } from 'rhea';
import { toAmqpFailure } from './amqp-errors.js';
import { dispositionOfOutcome } from './dispositions.js';
import type { Journal } from './journal.js';
import { deliveryTagOf } from './lock-tokens.js';
import type { MessageStore, ReceiveMode } from './message-store.js';
import {
  acceptedOutcome,
  answerDrainAtZeroCredit,
  attachNotYetWritten,
  creditLimit,
  rejectedOutcome,
  settleDisposed,
} from './rhea-link-internals.js';

/**
 * Moves messages from a store to one receiving client link as its credit allows, and turns the
 * client's dispositions into settlements of the store's locks.
 */
export class DeliveryPump {
  private sent = 0;
  private pumping = false;
  private readonly lockTokens = new WeakMap<Delivery, string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sender: Sender,
    private readonly store: MessageStore,
    private readonly mode: ReceiveMode,
    private readonly journal: Journal,
  ) {
    answerDrainAtZeroCredit(sender);
    this.unsubscribe = store.onAvailable(() => this.pump());
    sender.on('sendable', () => this.pump());
    sender.on('sender_flow', () => this.pump());
    sender.on('sender_draining', () => this.drain());
    for (const outcome of ['accepted', 'modified', 'rejected', 'released'] as const) {
      sender.on(outcome, (context: EventContext) => this.settle(context.delivery));
    }
    sender.on('sender_close', () => this.stop());
  }

  /** Locks outlive the link, as on the service: unsettled messages return when their lock expires. */
  stop(): void {
    this.unsubscribe();
  }

  private pump(): void {
    if (this.pumping) return;
    if (!this.sender.is_open()) return this.stop();
    // rhea's write of the attach is already queued for this tick; pump right after it.
    if (attachNotYetWritten(this.sender)) return process.nextTick(() => this.pump());
    this.pumping = true;
    try {
      // sendable() also says whether the session has room for another unsettled delivery.
      while (creditLimit(this.sender) - this.sent > 0 && this.sender.sendable()) {
        const next = this.store.receive(this.mode);
        if (!next) break;
        const lockToken = next.lockToken ?? randomUUID();
        const delivery = this.sender.send(next.bytes, deliveryTagOf(lockToken), 0);
        if (next.lockToken) this.lockTokens.set(delivery, next.lockToken);
        this.sent++;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** `receiveMessages(n)` ends with a drain: send what there is, then give the rest of the credit back. */
  private drain(): void {
    if (attachNotYetWritten(this.sender)) return process.nextTick(() => this.drain());
    this.pump();
    this.sent = creditLimit(this.sender);
    this.sender.set_drained(true);
  }

  private settle(delivery: Delivery | undefined): void {
    if (!delivery || delivery.settled) return;
    const lockToken = this.lockTokens.get(delivery);
    if (!lockToken) return;
    const refuse = (error: unknown): void => {
      const failure = toAmqpFailure(error);
      // rhea merges adjacent dispositions written in one tick into the first one's outcome, which
      // would turn this error into a success (or a neighbour's success into this error). A later
      // tick holds only this answer.
      setImmediate(() => {
        if (this.sender.is_open()) settleDisposed(delivery, rejectedOutcome(failure.toAmqpError()));
      });
    };
    try {
      this.store.settle(lockToken, dispositionOfOutcome(delivery.remote_state));
    } catch (error) {
      return refuse(error);
    }
    // A completed or dead-lettered message is gone from the journal before the receiver hears so.
    this.journal.durable((error) => {
      if (error) refuse(error);
      else if (this.sender.is_open()) settleDisposed(delivery, acceptedOutcome());
    });
  }
}
