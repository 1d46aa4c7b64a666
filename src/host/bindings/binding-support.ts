import type { BindingDef, RegisteredFunction, Registry } from '../registry.js';

/**
 * What the local host can run, checked once at start so no binding is silently ignored. A
 * function that uses anything else is not loaded (never invoked with a binding missing), the way
 * Core Tools reports a function whose binding extension is not installed; the start banner lists
 * each one with the binding it names. Durable entities are refused until the engine runs them.
 */
export const SUPPORTED_TRIGGERS = new Set([
  'httpTrigger',
  'blobTrigger',
  'serviceBusTrigger',
  'timerTrigger',
  'orchestrationTrigger',
  'activityTrigger',
]);
/** Input bindings the host fills (the Durable client). */
export const SUPPORTED_INPUTS = new Set(['durableClient']);
/** Output bindings the host writes after the function returns (`http` is the HTTP response). */
export const SUPPORTED_OUTPUTS = new Set(['http', 'blob', 'queue', 'serviceBus']);

export interface Unsupported {
  functionName: string;
  binding: string;
  reason: string;
}

export function findUnsupported(fn: RegisteredFunction): Unsupported[] {
  const found: Unsupported[] = [];
  const add = (b: BindingDef, reason: string): void => void found.push({ functionName: fn.name, binding: `${b.name} (${b.type})`, reason });
  for (const b of fn.bindings) {
    if (b === fn.trigger) {
      if (!SUPPORTED_TRIGGERS.has(b.type)) add(b, `trigger type ${b.type} is not run by the local host`);
    } else if (b.direction === 'out') {
      if (!SUPPORTED_OUTPUTS.has(b.type)) add(b, `output binding type ${b.type} is not written by the local host`);
      else if (b.type === 'http' && fn.trigger.type !== 'httpTrigger') add(b, 'an http output needs an httpTrigger');
    } else if (b.direction === 'inout') {
      add(b, `inout binding type ${b.type} is not supported by the local host`);
    } else if (!SUPPORTED_INPUTS.has(b.type)) {
      add(b, `input binding type ${b.type} is not filled by the local host`);
    }
  }
  return found;
}

/** Drops every function the host cannot run faithfully from the registry; returns what was dropped and why. */
export function removeUnsupported(registry: Registry): Unsupported[] {
  const all: Unsupported[] = [];
  for (const fn of [...registry.functions.values()]) {
    const found = findUnsupported(fn);
    if (found.length === 0) continue;
    registry.functions.delete(fn.name);
    all.push(...found);
  }
  return all;
}

/** One line per refusal, for the log and the start banner. */
export function describeUnsupported(u: Unsupported): string {
  return `Function ${u.functionName} is not loaded: binding ${u.binding}: ${u.reason}.`;
}
