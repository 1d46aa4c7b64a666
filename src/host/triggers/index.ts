// Which listener feeds which trigger type.
import type { Registry } from '../registry.js';
import { createBlobTriggerListener } from './blob-trigger.js';
import { createServiceBusTriggerListener } from './servicebus-trigger.js';
import { createTimerTriggerListener } from './timer-trigger.js';
import type { TriggerContext, TriggerFactory, TriggerListener } from './trigger-listener.js';

/**
 * Trigger types the local host feeds from a listener, by binding type. HTTP, orchestration and
 * activity triggers are served elsewhere (HTTP front, Durable engine); functions with any other
 * trigger were refused at start (bindings/binding-support.ts), so none reaches here unserved.
 */
const FACTORIES: Record<string, TriggerFactory> = {
  blobTrigger: createBlobTriggerListener,
  serviceBusTrigger: createServiceBusTriggerListener,
  timerTrigger: createTimerTriggerListener,
};

export function createTriggerListeners(registry: Registry, ctx: Omit<TriggerContext, 'fn'>): Map<string, TriggerListener> {
  const listeners = new Map<string, TriggerListener>();
  for (const fn of registry.functions.values()) {
    const factory = FACTORIES[fn.trigger.type];
    if (factory) listeners.set(fn.name, factory({ ...ctx, fn }));
  }
  return listeners;
}
