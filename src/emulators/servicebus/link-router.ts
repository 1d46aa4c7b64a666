import type { link, Receiver, Sender } from 'rhea';
import { entityNotFound, notImplemented, toAmqpFailure, type AmqpFailure } from './amqp-errors.js';
import { DeliveryPump } from './delivery-pump.js';
import { cbsAddress, entityOfManagementAddress, isManagementAddress } from './entity-address.js';
import type { EntityRegistry } from './entity-registry.js';
import { acceptMessagesInto } from './ingress.js';
import { managementHandler } from './management-operations.js';
import { answerCbs, serveRequests } from './request-reply.js';
import { mirrorAttach } from './rhea-link-internals.js';

/** Standard tier's limit; the SDK sizes its batches from the value the attach advertises. */
export const maxMessageSizeInBytes = 256 * 1024;

const sessionFilter = 'com.microsoft:session-filter';

export interface LinkRouterOptions {
  readonly registry: EntityRegistry;
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
        return serveRequests(receiver, managementHandler(this.options.registry, entityPath), this.options.log);
      }
      const target = this.options.registry.sendTarget(address);
      mirrorAttach(receiver, maxMessageSizeInBytes);
      acceptMessagesInto(receiver, target);
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
      if (sender.source?.filter?.[sessionFilter] !== undefined) {
        throw notImplemented('Sessions (acceptSession, acceptNextSession, session-enabled entities)');
      }
      const store = this.options.registry.store(address);
      // The SDK asks for pre-settled transfers in receiveAndDelete mode and unsettled ones in peekLock.
      const mode = sender.snd_settle_mode === 1 ? 'receiveAndDelete' : 'peekLock';
      mirrorAttach(sender);
      this.options.log(`receiver attached to '${store.path}' (${mode})`);
      return new DeliveryPump(sender, store, mode);
    } catch (error) {
      this.refuse(sender, address, toAmqpFailure(error));
      return undefined;
    }
  }

  /**
   * The attach is answered without a terminus and then closed with the error, which is how the
   * service refuses a link; the SDK reports the error's condition and description.
   */
  private refuse(amqpLink: link, address: string, failure: AmqpFailure): void {
    this.options.log(`refused link to '${address}': ${failure.condition} ${failure.message}`);
    amqpLink.close(failure.toAmqpError());
  }
}
