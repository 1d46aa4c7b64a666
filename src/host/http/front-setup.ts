/**
 * Starts the host's HTTP side: the public front (functions, Durable webhooks, admin API) and,
 * when keys are enforced, the loopback-only listener the Durable client binding's own calls go
 * to, as the real extension's local RPC endpoint (`http://127.0.0.1:17071/durabletask/`) takes
 * them without a key. Ours sits on a free port under an unguessable path, so a loopback
 * neighbour can't use it to get round the keys either.
 */
import { randomBytes } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import { keysRequired } from './authorize.js';
import { DURABLE_SYSTEM_KEY, type HostKeys, loadOrCreateHostKeys } from './host-keys.js';
import { type HttpFront, type HttpFrontOptions, type Mount, startHttpFront } from './http-front.js';

export interface FrontSetupOptions extends Omit<HttpFrontOptions, 'mounts' | 'keys'> {
  requireKeys?: boolean;
  blobs: BlobServiceClient;
  hostId: string;
  /** Path and handler of the Durable webhooks (`/runtime/webhooks/durabletask`). */
  webhookPath: string;
  management: Mount;
  admin: Mount;
}

export interface Fronts {
  front: HttpFront;
  /** Present when keys are enforced. */
  keys?: HostKeys;
  /** Why keys are (or are not) enforced, for the start banner. */
  why: string;
  /** Where the durable client binding's own calls go when keys are enforced. */
  rpcBaseUrl?: string;
  close(graceMs?: number): Promise<void>;
}

export async function startFronts(o: FrontSetupOptions): Promise<Fronts> {
  const { required, why } = keysRequired(o.host, o.requireKeys);
  const httpFunctions = o.functions.map((f) => f.name);
  const keys = required ? await loadOrCreateHostKeys(o.blobs, o.hostId, httpFunctions) : undefined;
  const front = await startHttpFront({
    ...o,
    keys,
    mounts: {
      [o.webhookPath]: { auth: { level: 'system', keyName: DURABLE_SYSTEM_KEY }, handle: o.management },
      '/admin/functions': { auth: { level: 'admin' }, handle: o.admin },
    },
  });
  if (!keys) return { front, why, close: (g) => front.close(g) };
  const secretPath = `/durabletask/${randomBytes(24).toString('hex')}`;
  let rpc: HttpFront;
  try {
    rpc = await startHttpFront({
      ...o,
      host: '127.0.0.1',
      port: 0,
      functions: [],
      mounts: { [secretPath]: { auth: { level: 'anonymous' }, handle: o.management } },
    });
  } catch (err) {
    await front.close(0);
    throw err;
  }
  return {
    front,
    keys,
    why,
    rpcBaseUrl: `${rpc.url}${secretPath}/`,
    close: async (g) => {
      await Promise.all([front.close(g), rpc.close(g)]);
    },
  };
}

/** The keys block of the start banner, as the portal shows them: names, values, where they are kept. */
export function describeKeys(keys: HostKeys, why: string): string {
  return [
    `Keys are required (${why}); kept in ${keys.location}:`,
    `\tmaster (admin routes, admin API, everything): ${keys.master}`,
    ...Object.entries(keys.functionKeys).map(([name, value]) => `\tfunction key ${name}: ${value}`),
    ...Object.entries(keys.systemKeys).map(([name, value]) => `\tsystem key ${name}: ${value}`),
    '\tSend one as the x-functions-key header or the code query parameter.',
  ].join('\n');
}
