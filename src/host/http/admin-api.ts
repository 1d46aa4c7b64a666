import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import type { TriggerListener } from '../triggers/trigger-listener.js';
import type { Mount } from './http-front.js';

/**
 * `POST /admin/functions/{name}` with `{"input": "..."}` runs a non-HTTP function once, as the
 * real host's admin API does (Core Tools documents it for testing timer and queue functions).
 * Trigger listeners that know how to turn the input into their trigger value (a blob path) do so.
 */
export function adminMount(registry: Registry, invoker: Invoker, listeners: () => Map<string, TriggerListener>): Mount {
  return async (call, path) => {
    const name = decodeURIComponent(path.split('/')[0] ?? '');
    if (call.method !== 'POST') return { status: 405, headers: { Allow: 'POST' }, body: { title: 'Method not allowed', status: 405, detail: 'Use POST /admin/functions/{name}.' } };
    const fn = registry.find(name);
    if (!fn) return { status: 404, body: { title: 'Function not found', status: 404, detail: `No function named "${name}".` } };
    if (fn.trigger.type === 'httpTrigger') {
      return { status: 400, body: { title: 'Not an admin-invocable function', status: 400, detail: `${fn.name} is an HTTP function: call its route instead.` } };
    }
    let input: unknown;
    try {
      input = call.body.length ? (JSON.parse(call.body.toString('utf8')) as { input?: unknown }).input : undefined;
    } catch {
      return { status: 400, body: { title: 'Malformed admin call', status: 400, detail: 'The body must be JSON like {"input": "..."}.' } };
    }
    const listener = listeners().get(fn.name);
    const run = listener?.invokeFromAdmin ? listener.invokeFromAdmin(String(input ?? '')) : invoker.invoke(fn, input);
    // The real host answers 202 at once and runs the function in the background.
    run.catch(() => undefined);
    return { status: 202, body: '' };
  };
}
