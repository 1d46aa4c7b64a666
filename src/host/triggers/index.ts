import type { Registry } from '../registry.js';
import type { TriggerContext, TriggerFactory, TriggerListener } from './trigger-listener.js';
import { createBlobTriggerListener } from './blob-trigger.js';
import { createServiceBusTriggerListener } from './servicebus-trigger.js';
import { createTimerTriggerListener } from './timer-trigger.js';

/**
 * Trigger types the local host can feed, by binding type. HTTP, orchestration and activity
 * triggers are served elsewhere (HTTP front, Durable engine); other types are listed at start as
 * not running here, so nothing is silently ignored.
 */
const FACTORIES: Record<string, TriggerFactory> = {
  blobTrigger: createBlobTriggerListener,
  serviceBusTrigger: createServiceBusTriggerListener,
  timerTrigger: createTimerTriggerListener,
};

export const SERVED_ELSEWHERE = new Set(['httpTrigger', 'orchestrationTrigger', 'activityTrigger', 'entityTrigger']);

export function createTriggerListeners(registry: Registry, ctx: Omit<TriggerContext, 'fn'>): Map<string, TriggerListener> {
  const listeners = new Map<string, TriggerListener>();
  for (const fn of registry.functions.values()) {
    const factory = FACTORIES[fn.trigger.type];
    if (factory) listeners.set(fn.name, factory({ ...ctx, fn }));
    else if (!SERVED_ELSEWHERE.has(fn.trigger.type)) {
      ctx.log('warn', `Function ${fn.name}: trigger type ${fn.trigger.type} is not run by the local host; it is loaded but never invoked.`);
    }
  }
  return listeners;
}
