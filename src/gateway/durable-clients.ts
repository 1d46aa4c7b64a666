// One Durable client per binding per process. durable-functions builds a new DurableClient for
// every invocation (an axios instance of its own and a deep copy of the binding's URLs: about
// 7.7 KB), and a sync call keeps its client for as long as it waits: 10 000 held callers kept
// ~77 MB of identical clients. The binding's data is the same for every invocation on one host
// (task hub, management URLs with the host's key), and the client keeps no per-call state, so an
// invocation uses the first client made from the same data and leaves its own to the collector.
// Data that changes (a rotated key) is a new entry; the oldest go past a handful.
import type { DurableClient } from 'durable-functions';

const KEEP = 4;
const shared = new Map<string, DurableClient>();

/** The process's client for the binding data `client` was made from (itself the first time). */
export function sharedDurableClient(client: DurableClient): DurableClient {
  // Not in the SDK's types, but what every one of its calls builds its URLs from.
  const data: unknown = (client as unknown as { clientData?: unknown }).clientData;
  if (typeof data !== 'object' || data === null) return client;
  const key = JSON.stringify(data);
  const found = shared.get(key);
  if (found !== undefined) return found;
  if (shared.size >= KEEP) shared.delete(shared.keys().next().value ?? '');
  shared.set(key, client);
  return client;
}
