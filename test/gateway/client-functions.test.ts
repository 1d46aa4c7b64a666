// The gateway's client functions register what `df.app.client.*` registers: the same trigger, the
// same durable client input, the same metadata the host (and Azure) index. Registrations are
// captured by the host's own `@azure/functions-core` shim through the real `@azure/functions`.
// Which client an invocation gets, over the real library's InvocationContext and the real
// `df.getClient` (the host-level check is client-reuse.test.ts).
import path from 'node:path';
import { type FunctionInput, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { CLIENTS_KEPT, clientFunctions, durableClientFor } from '../../src/gateway/client-functions.js';
import { readAppConfig } from '../../src/host/app-config.js';
import { loadApp } from '../../src/host/app-loader.js';
import { captureRegistrations } from '../../src/host/core-api-shim.js';
import { clientBindingData } from '../../src/host/durable/client-binding.js';
import { Registry } from '../../src/host/registry.js';

const REPO_ROOT = path.join(__dirname, '../..');

/** What one registration leaves in the host's registry, less the handler. */
async function registered(register: () => void) {
  const registry = new Registry();
  await captureRegistrations(
    registry,
    (b) => b,
    () => undefined,
    () => Promise.resolve(register()),
  );
  return [...registry.functions.values()].map(({ name, trigger, bindings, retry }) => ({ name, trigger, bindings, retry }));
}

// Never called: registration only. An HTTP handler's answer type fits every kind.
const handler = () => ({ status: 204 });
const clientInputs = (fn: { bindings: Array<{ type: string }> } | undefined) => fn?.bindings.filter((b) => b.type === 'durableClient');

/** The durable client input binding as df.app.client.* registers it. */
async function sdkClientInput() {
  return clientInputs((await registered(() => df.app.client.http('h', { route: 'h', handler })))[0]);
}
const other: FunctionInput = { type: 'blob', name: 'other', path: 'c/{name}', connection: 'AzureWebJobsStorage' };

// Fresh options per call: both registrations add the client input to the options they are given.
const cases = {
  http: () => ({ route: 'r/{id}', methods: ['GET' as const, 'POST' as const], authLevel: 'function' as const, handler }),
  timer: () => ({ schedule: '17 */5 * * * *', handler }),
  storageBlob: () => ({
    path: '%GATEWAY_REPLIES_CONTAINER%/{name}',
    connection: 'AzureWebJobsStorage',
    source: 'EventGrid' as const,
    handler,
  }),
  serviceBusTopic: () => ({
    connection: 'ServiceBusConnection',
    topicName: 'replies',
    subscriptionName: 'gateway',
    handler,
    ...{ sdkBinding: true, autoCompleteMessages: false },
  }),
};

describe('clientFunctions', () => {
  it.each(Object.keys(cases) as Array<keyof typeof cases>)('registers a %s function exactly as df.app.client does', async (kind) => {
    const sdkOptions = cases[kind]();
    const ourOptions = cases[kind]();
    // The casts only pick one overload of the four: each kind gets its own options.
    const sdk = await registered(() => (df.app.client[kind] as (n: string, o: unknown) => void)('f', sdkOptions));
    const ours = await registered(() => (clientFunctions[kind] as (n: string, o: unknown) => void)('f', ourOptions));
    expect(ours).toEqual(sdk);
    expect(clientInputs(ours[0])).toEqual(await sdkClientInput());
    expect(clientInputs(ours[0])).toHaveLength(1);
    // The caller's options get the input as the SDK's do.
    expect((ourOptions as { extraInputs?: unknown }).extraInputs).toEqual((sdkOptions as { extraInputs?: unknown }).extraInputs);
  });

  it('keeps extra inputs it is given, and a durable client input already there is not added twice', async () => {
    const options = () => ({ route: 'x', handler, extraInputs: [other, df.input.durableClient()] });
    const sdk = await registered(() => df.app.client.http('g', options()));
    const ours = await registered(() => clientFunctions.http('g', options()));
    expect(ours).toEqual(sdk);
    expect(ours[0]?.bindings.map((b) => b.type)).toEqual(['httpTrigger', 'blob', 'durableClient', 'http']);
  });
});

describe('the gateway app', () => {
  // Every function that takes a Durable client (all but the orchestrator and its activities).
  const CLIENT_FUNCTIONS = [
    'blobReply',
    'cancelRequest',
    'consolePage',
    'consoleReply',
    'consoleRequests',
    'getResult',
    'getStatus',
    'listRejected',
    'replayRejected',
    'retentionTimer',
    'serviceBusReply',
    'showRejected',
    'submitRequest',
  ];

  it('registers the durable client input on every client function, as df.app.client.* did', async () => {
    const set: Record<string, string> = {
      // serviceBusReply registers only with a Service Bus connection.
      ServiceBusConnection: 'Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=k;SharedAccessKey=x;UseDevelopmentEmulator=true',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GATEWAY_REPLIES_CONTAINER: 'replies',
    };
    const before = { ...process.env };
    Object.assign(process.env, set);
    try {
      const { registry } = await loadApp(readAppConfig(REPO_ROOT), () => undefined);
      const input = await sdkClientInput();
      expect(input).toHaveLength(1);
      const withClient = [...registry.functions.values()]
        .filter((f) => f.bindings.some((b) => b.type === 'durableClient'))
        .map((f) => f.name);
      expect(withClient.sort()).toEqual(CLIENT_FUNCTIONS);
      for (const name of CLIENT_FUNCTIONS) {
        expect(clientInputs(registry.find(name))).toEqual(input);
      }
    } finally {
      for (const key of Object.keys(set)) if (!(key in before)) delete process.env[key];
      Object.assign(process.env, before);
    }
  });
});

describe('durableClientFor', () => {
  const input = df.input.durableClient();
  const origin = 'http://127.0.0.1:7072';
  /** An invocation whose binding data is the host's, with `systemKey` in every URL. */
  const invocation = (systemKey: string) => {
    const context = new InvocationContext({ options: { extraInputs: [input] } });
    const urls = {
      baseUrl: `${origin}/runtime/webhooks/durabletask`,
      taskHubName: 'Hub',
      connectionName: 'AzureWebJobsStorage',
      systemKey,
    };
    context.extraInputs.set(input, clientBindingData(urls));
    return context;
  };
  const statusUrl = (context: InvocationContext) => durableClientFor(input, context).createHttpManagementPayload('x').statusQueryGetUri;

  function withHostname<T>(value: string | undefined, run: () => T): T {
    const before = process.env.WEBSITE_HOSTNAME;
    if (value === undefined) delete process.env.WEBSITE_HOSTNAME;
    else process.env.WEBSITE_HOSTNAME = value;
    try {
      return run();
    } finally {
      if (before === undefined) delete process.env.WEBSITE_HOSTNAME;
      else process.env.WEBSITE_HOSTNAME = before;
    }
  }

  it('answers the client built from equal data; data with another key gets its own; the oldest go past the bound', () => {
    withHostname('127.0.0.1:7072', () => {
      const first = durableClientFor(input, invocation('k1'));
      expect(durableClientFor(input, invocation('k1'))).toBe(first);
      const rotated = durableClientFor(input, invocation('k2'));
      expect(rotated).not.toBe(first);
      expect(rotated.createHttpManagementPayload('x').statusQueryGetUri).toContain('code=k2');
      expect(durableClientFor(input, invocation('k2'))).toBe(rotated);
      // k1 is the oldest: once CLIENTS_KEPT others were built after it, it is built again.
      for (let i = 0; i < CLIENTS_KEPT; i++) durableClientFor(input, invocation(`more${i}`));
      expect(durableClientFor(input, invocation('k1'))).not.toBe(first);
    });
  });

  it("keeps getClient's URL correction: without WEBSITE_HOSTNAME the same data is a client of localhost:7071", () => {
    const named = withHostname('127.0.0.1:7072', () => statusUrl(invocation('k3')));
    const local = withHostname(undefined, () => statusUrl(invocation('k3')));
    expect(new URL(named).origin).toBe(origin);
    expect(new URL(local).origin).toBe('http://localhost:7071');
  });

  it("leaves an invocation without binding data to the SDK's own error", () => {
    const context = new InvocationContext({ options: { extraInputs: [input] } });
    expect(() => durableClientFor(input, context)).toThrow(/not a valid durable client input/);
  });
});
