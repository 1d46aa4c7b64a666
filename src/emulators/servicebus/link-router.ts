// Attach routing: what each link a client opens is for, and the refusals of what is not served.
import type { link, Receiver, Sender } from 'rhea';
import { type AmqpFailure, entityNotFound, notImplemented, toAmqpFailure } from './amqp-errors.js';
import { DeliveryPump } from './delivery-pump.js';
import { cbsAddress, entityOfManagementAddress, isManagementAddress } from './entity-address.js';
import type { EntityRegistry } from './entity-registry.js';
import { acceptMessagesInto } from './ingress.js';
import type { Journal } from './journal.js';
import { managementHandler } from './management-operations.js';
import { answerCbs, serveRequests } from './request-reply.js';
import { mirrorAttach } from './rhea-link-internals.js';

/** Standard tier's limit; the SDK sizes its batches from the value the attach advertises. */
export const maxMessageSizeInBytes = 256 * 1024;

const sessionFilter = 'com.microsoft:session-filter';
/** How long a refused session receiver's error waits for the client to detach first. */
const clientDetachWaitMs = 2_000;

export interface LinkRouterOptions {
  readonly registry: EntityRegistry;
  readonly journal: Journal;
  /** Advertised on every sender's attach and enforced on each transfer. */
  readonly maxMessageSizeInBytes: number;
  readonly log: (line: string) => void;
}

/** Decides what a link the client opens is for, and refuses what the emulator cannot serve. */
export class LinkRouter {
  constructor(private readonly options: LinkRouterOptions) {}

  /** The client sends on this link: messages to an entity, or requests to $cbs / $management. */
  routeIncoming(receiver: Receiver): void {
    const address = receiver.target?.address ?? '';
    try {
      if (address === cbsAddress) {
        mirrorAttach(receiver);
        return serveRequests(receiver, answerCbs, this.options.log);
      }
      if (isManagementAddress(address)) {
        const entityPath = entityOfManagementAddress(address);
        if (!this.options.registry.hasEntity(entityPath)) throw entityNotFound(entityPath);
        mirrorAttach(receiver);
        const journal = this.options.journal;
        return serveRequests(
          receiver,
          managementHandler(this.options.registry, entityPath, this.options.maxMessageSizeInBytes),
          this.options.log,
          (callback) => journal.durable(callback),
        );
      }
      const target = this.options.registry.sendTarget(address);
      mirrorAttach(receiver, this.options.maxMessageSizeInBytes);
      acceptMessagesInto(receiver, target, this.options);
      this.options.log(`sender attached to '${target.path}'`);
    } catch (error) {
      this.refuse(receiver, address, toAmqpFailure(error));
    }
  }

  /** The client receives on this link: from a queue or subscription, or replies from $cbs / $management. */
  routeOutgoing(sender: Sender): DeliveryPump | undefined {
    const address = sender.source?.address ?? '';
    try {
      // Reply links of $cbs and $management: replies are sent on them by name (see request-reply).
      if (address === cbsAddress || isManagementAddress(address)) {
        mirrorAttach(sender);
        return undefined;
      }
      const filter = sender.source?.filter as Record<string, unknown> | undefined;
      // acceptNextSession asks with the key present and no value.
      if (filter && sessionFilter in filter) {
        const failure = notImplemented('Sessions (acceptSession, acceptNextSession, session-enabled entities)');
        this.refuse(sender, address, failure, { afterClientDetach: true });
        return undefined;
      }
      const store = this.options.registry.store(address);
      // The SDK asks for pre-settled transfers in receiveAndDelete mode and unsettled ones in peekLock.
      const mode = sender.snd_settle_mode === 1 ? 'receiveAndDelete' : 'peekLock';
      mirrorAttach(sender);
      this.options.log(`receiver attached to '${store.path}' (${mode})`);
      return new DeliveryPump(sender, store, mode, this.options.journal);
    } catch (error) {
      this.refuse(sender, address, toAmqpFailure(error));
      return undefined;
    }
  }

  /**
   * The attach is answered without a terminus and then closed with the error, which is how the
   * service refuses a link; the SDK reports the error's condition and description.
   *
   * A session receiver is different: the SDK takes the bare attach as "no session granted" and
   * detaches the link itself, and reports the error only if the broker's detach answers its own.
   * A detach that arrived together with the attach is already consumed by then, and the SDK
   * reports a misleading "session may be locked". So for sessions the error waits for the
   * client's detach (with a bound, for a client that never sends one).
   */
  private refuse(amqpLink: link, address: string, failure: AmqpFailure, options: { afterClientDetach?: boolean } = {}): void {
    this.options.log(`refused link to '${address}': ${failure.condition} ${failure.message}`);
    if (!options.afterClientDetach) return void amqpLink.close(failure.toAmqpError());
    const detach = (): void => {
      clearTimeout(timer);
      if (!amqpLink.is_closed()) amqpLink.close(failure.toAmqpError());
    };
    const timer = setTimeout(detach, clientDetachWaitMs);
    timer.unref();
    // rhea answers a remote detach on the next tick; closing here first puts the error in that answer.
    amqpLink.once(amqpLink.is_receiver() ? 'receiver_close' : 'sender_close', detach);
  }
}
