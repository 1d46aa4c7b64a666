/**
 * The admin API's `POST /admin/functions/{name}`: runs a non-HTTP function once, as the real
 * host does for testing timer, queue and blob functions (master key when keys are enforced).
 */
import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import type { TriggerListener } from '../triggers/trigger-listener.js';
import type { Mount, RawAnswer, RawCall } from './http-front.js';

/**
 * `POST /admin/functions/{name}` with `{"input": "..."}` runs a non-HTTP function once, as the
 * real host's admin API does (Core Tools documents it for testing timer and queue functions).
 * Trigger listeners that know how to turn the input into their trigger value (a blob path) do so.
 */
export function adminMount(
  registry: Registry,
  invoker: Invoker,
  listeners: Map<string, TriggerListener>,
  log: (level: string, message: string) => void,
): Mount {
  return (call, path) => Promise.resolve(admin(registry, invoker, listeners, log, call, path));
}

function admin(
  registry: Registry,
  invoker: Invoker,
  listeners: Map<string, TriggerListener>,
  log: (level: string, message: string) => void,
  call: RawCall,
  path: string,
): RawAnswer {
  const name = decodeURIComponent(path.split('/')[0] ?? '');
  if (call.method !== 'POST') return problem(405, 'Method not allowed', 'Use POST /admin/functions/{name}.', { Allow: 'POST' });
  const fn = registry.find(name);
  if (!fn) return problem(404, 'Function not found', `No function named "${name}".`);
  if (fn.trigger.type === 'httpTrigger')
    return problem(400, 'Not an admin-invocable function', `${fn.name} is an HTTP function: call its route instead.`);
  let input: unknown;
  try {
    input = call.body.length ? (JSON.parse(call.body.toString('utf8')) as { input?: unknown }).input : undefined;
  } catch {
    return problem(400, 'Malformed admin call', 'The body must be JSON like {"input": "..."}.');
  }
  const listener = listeners.get(fn.name);
  const text = typeof input === 'string' ? input : JSON.stringify(input ?? '');
  const run = listener?.invokeFromAdmin ? listener.invokeFromAdmin(text) : invoker.invoke(fn, input);
  // The real host answers 202 at once and runs the function in the background.
  run.catch((err: unknown) => log('error', `Admin run of ${fn.name} failed: ${(err as Error).message}`));
  return { status: 202, body: '' };
}

function problem(status: number, title: string, detail: string, headers?: Record<string, string>): RawAnswer {
  return { status, headers, body: { title, status, detail } };
}
