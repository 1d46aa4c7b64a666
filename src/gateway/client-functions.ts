// How every gateway function that takes a Durable client is registered: as `df.app.client.*` does
// (the same trigger options, the same durable client input added to extraInputs, so the metadata
// the host and Azure index is unchanged), but with the client built once per binding data instead
// of once per invocation. The SDK's wrapper calls `getClient` on every call: a lodash deep copy of
// the binding data, validator's isURL on each URL and a new DurableClient with an axios instance of
// its own, ~4 % of the local host's busy main thread under load (bench, N = 50), and ~7.7 KB per
// sync call for as long as it waits (10 000 held callers kept ~77 MB of identical clients). The
// binding data is the same for every invocation on one host (task hub, management URLs with the
// host's key) and the client keeps no per-call state, so an invocation gets the client already
// built from equal data. New data (a rotated key, another host) still goes through `df.getClient`,
// so its URL correction (WEBSITE_HOSTNAME) applies as before; the oldest go past a handful.
import { app, type FunctionInput, type InvocationContext } from '@azure/functions';
import type {
  DurableClient,
  HttpDurableClientOptions,
  ServiceBusTopicDurableClientOptions,
  StorageBlobDurableClientOptions,
  TimerDurableClientOptions,
} from 'durable-functions';
import * as df from 'durable-functions';

/** How many clients (distinct binding data) are kept; the oldest goes first. */
export const CLIENTS_KEPT = 4;
const clients = new Map<string, DurableClient>();

type ClientHandler<T, R> = (trigger: T, client: DurableClient, context: InvocationContext) => R;

interface ClientOptions<T, R> {
  extraInputs?: FunctionInput[];
  handler: ClientHandler<T, R>;
}

// The SDK's own test (getClient.js, isDurableClientInput), which is not in its types.
const isDurableClientInput = (input: FunctionInput): boolean => input.type === 'durableClient' || input.type === 'orchestrationClient';

/** The options' durable client input, added as `df.app.client.*` adds it (to the caller's options too) when there is none. */
function clientInput(options: { extraInputs?: FunctionInput[] }): FunctionInput {
  options.extraInputs ??= [];
  const found = options.extraInputs.find(isDurableClientInput);
  if (found !== undefined) return found;
  const added = df.input.durableClient();
  options.extraInputs.push(added);
  return added;
}

// getClient rewrites the binding's URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host
// (the same test as its own), so whether it did is part of what a client was made from.
const rewritesUrls = (): boolean => {
  const hostname = process.env.WEBSITE_HOSTNAME;
  return !hostname || hostname.includes('0.0.0.0');
};

/** The client for this invocation's binding data: the one built from equal data, else a new one from `df.getClient`. */
export function durableClientFor(input: FunctionInput, context: InvocationContext): DurableClient {
  const data: unknown = context.extraInputs.get(input);
  // Anything but binding data is the SDK's to refuse, with its own error.
  if (typeof data !== 'object' || data === null) return df.getClient(context);
  const key = `${rewritesUrls() ? 'local' : 'named'} ${JSON.stringify(data)}`;
  const found = clients.get(key);
  if (found !== undefined) return found;
  const made = df.getClient(context);
  if (clients.size >= CLIENTS_KEPT) clients.delete(clients.keys().next().value ?? '');
  clients.set(key, made);
  return made;
}

/** The handler the library registers: the function's own, given the invocation's client. */
function withClient<T, R>(options: ClientOptions<T, R>): (trigger: T, context: InvocationContext) => R {
  const input = clientInput(options);
  const handler = options.handler;
  return (trigger, context) => handler(trigger, durableClientFor(input, context), context);
}

/**
 * `df.app.client.*` for the triggers the gateway uses, with one client per binding data. The
 * handler is made first: it adds the client input, which the registered copy of the options must
 * already hold.
 */
export const clientFunctions = {
  http(name: string, options: HttpDurableClientOptions): void {
    const handler = withClient(options);
    app.http(name, { ...options, handler });
  },
  timer(name: string, options: TimerDurableClientOptions): void {
    const handler = withClient(options);
    app.timer(name, { ...options, handler });
  },
  storageBlob(name: string, options: StorageBlobDurableClientOptions): void {
    const handler = withClient(options);
    app.storageBlob(name, { ...options, handler });
  },
  serviceBusTopic(name: string, options: ServiceBusTopicDurableClientOptions): void {
    const handler = withClient(options);
    app.serviceBusTopic(name, { ...options, handler });
  },
};
