// Who settles a trigger message, and when: the extension's rules. A function that settled its
// message itself (message actions) is left alone afterwards; otherwise the host completes it when
// the function succeeded and `autoCompleteMessages` is not false, and abandons it when the function
// failed. A function with autoCompleteMessages false that returns without settling leaves the
// message locked until its lock runs out, and it comes back, as on Azure.
//
// That last rule is why the lock can be renewed here (`renewForMs`) rather than by the SDK: the
// SDK's renewer goes on until the message is settled, the extension's stops with the invocation.
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { SettleInOrder, SettlementKind } from './settlement-order.js';
import type { LockedMessage } from './settlement-server.js';

/** One message's settlement, for the listener and for the function's message actions alike. */
export interface MessageSettlement {
  /** The actions the Settlement service runs for this message; each settles it once. */
  readonly actions: LockedMessage;
  /** After the invocation: completes or abandons, unless the function settled the message. */
  afterInvocation(failed: boolean): Promise<void>;
}

export function messageSettlement(
  receiver: ServiceBusReceiver,
  message: ServiceBusReceivedMessage,
  options: { settle: SettleInOrder; autoComplete: boolean; renewForMs?: number },
): MessageSettlement {
  let settled = false;
  const stopRenewal = options.renewForMs ? keepLocked(receiver, message, options.renewForMs) : () => undefined;
  // Marked while the broker is asked, so a second settlement cannot overtake the first; a
  // settlement the broker refused leaves the message to the next one (or to the lock's expiry).
  const once = (kind: SettlementKind, op: () => Promise<void>) => {
    if (settled) return Promise.reject(new Error(`message ${String(message.messageId)} is already settled`));
    settled = true;
    stopRenewal();
    return options.settle(kind, op).catch((err: unknown) => {
      settled = false;
      throw err;
    });
  };
  const actions: LockedMessage = {
    complete: () => once('complete', () => receiver.completeMessage(message)),
    abandon: (properties) => once('exclusive', () => receiver.abandonMessage(message, properties as never)),
    deadLetter: ({ propertiesToModify, reason, description }) =>
      once('exclusive', () => {
        const options: Record<string, unknown> = { ...propertiesToModify };
        if (reason !== undefined) options.deadLetterReason = reason;
        if (description !== undefined) options.deadLetterErrorDescription = description;
        return receiver.deadLetterMessage(message, options as never);
      }),
    defer: (properties) => once('exclusive', () => receiver.deferMessage(message, properties as never)),
    // Not a settlement: the message stays the function's.
    renewLock: () => options.settle('exclusive', async () => void (await receiver.renewMessageLock(message))),
  };
  return {
    actions,
    async afterInvocation(failed) {
      stopRenewal();
      if (settled) return;
      if (failed) await actions.abandon();
      else if (options.autoComplete) await actions.complete();
    },
  };
}

/** Renews the lock before it runs out, for at most `forMs`; returns how to stop. */
function keepLocked(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, forMs: number): () => void {
  const until = Date.now() + forMs;
  let timer: NodeJS.Timeout | undefined;
  const arm = (lockedUntil: number) => {
    // Halfway to the expiry, as the SDK's renewer does it, and never past the bound.
    const at = Math.min(Date.now() + Math.max(0, (lockedUntil - Date.now()) / 2), until);
    if (at >= until) return;
    timer = setTimeout(() => {
      receiver.renewMessageLock(message).then(
        (next) => timer !== undefined && arm(next.getTime()),
        () => undefined,
      );
    }, at - Date.now());
  };
  arm(message.lockedUntilUtc?.getTime() ?? Date.now());
  return () => {
    clearTimeout(timer);
    timer = undefined;
  };
}
