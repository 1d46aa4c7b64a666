// The Service Bus output binding keeps one sender per entity (no attach/detach per invocation),
// a sender that was closed under it is replaced, and closing the bindings (host stop) closes it. Real SDK against the local endpoint; the binding's
// hook is run as the invoker runs it after a function returns.
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { installOutputBindings, type OutputBindings } from '../../src/host/bindings/output-bindings.js';
import { Registry } from '../../src/host/registry.js';
import type { StorageClients } from '../../src/host/storage/connection.js';
import { eventually } from '../support/stack.js';

const TOPOLOGY = { queues: [{ name: 'out' }] };

let bus: ServiceBusEmulator;
/** The client the binding sends through; every sender it creates is kept here to be looked at. */
let bindingClient: ServiceBusClient;
const created: ServiceBusSender[] = [];
let outputs: OutputBindings;
let registry: Registry;

beforeAll(async () => {
  bus = await startServiceBusEmulator({ port: 0, topology: TOPOLOGY });
  bindingClient = new ServiceBusClient(bus.connectionString);
  const createSender = bindingClient.createSender.bind(bindingClient);
  bindingClient.createSender = (entity: string) => {
    const sender = createSender(entity);
    created.push(sender);
    return sender;
  };
  registry = new Registry();
  registry.add({
    name: 'forward',
    trigger: { type: 'httpTrigger', name: 'req', direction: 'in' },
    bindings: [{ type: 'serviceBus', direction: 'out', name: 'out', queueName: 'out', connection: 'Bus' }],
    handler: () => undefined,
  });
  outputs = installOutputBindings(registry, {
    storage: (): StorageClients => {
      throw new Error('no storage output in this app');
    },
    serviceBus: () => bindingClient,
  });
});
afterAll(async () => {
  await outputs?.close();
  await bindingClient?.close();
  await bus?.stop();
});

/** What the invoker does after the function returned `value` for its `out` binding. */
async function invokeWith(value: string): Promise<void> {
  const post = {
    invocationContext: { functionName: 'forward', extraOutputs: { get: () => value }, triggerMetadata: {} },
    result: undefined,
    error: undefined as unknown,
  };
  await registry.runHooks('postInvocation', post);
  if (post.error instanceof Error) throw post.error;
  expect(post.error).toBeUndefined();
}

async function receiveBodies(count: number): Promise<string[]> {
  const reader = new ServiceBusClient(bus.connectionString);
  const receiver = reader.createReceiver('out', { receiveMode: 'receiveAndDelete', skipParsingBodyAsJson: true });
  try {
    const got: string[] = [];
    await eventually(
      async () => {
        for (const m of await receiver.receiveMessages(count - got.length, { maxWaitTimeInMs: 500 }))
          got.push(Buffer.from(m.body as Uint8Array).toString('utf8'));
        return got.length >= count ? true : undefined;
      },
      10_000,
      `${count} messages on queue out`,
    );
    return got;
  } finally {
    await receiver.close();
    await reader.close();
  }
}

describe('Service Bus output binding sender', () => {
  it('sends every invocation through one sender, concurrent invocations included', async () => {
    await invokeWith('one');
    await Promise.all([invokeWith('two'), invokeWith('three')]);
    expect((await receiveBodies(3)).sort()).toEqual(['one', 'three', 'two']);
    expect(created).toHaveLength(1);
    expect(created[0]?.isClosed).toBe(false);
  });

  it('replaces a sender that reports itself closed, and delivers through the new one', async () => {
    await created[0]?.close();
    await invokeWith('after close');
    expect(await receiveBodies(1)).toEqual(['after close']);
    expect(created).toHaveLength(2);
    expect(created[1]?.isClosed).toBe(false);
  });

  it('closes its sender when the bindings are closed (host stop)', async () => {
    const sender = created[1];
    expect(sender?.isClosed).toBe(false);
    await outputs.close();
    expect(sender?.isClosed).toBe(true);
  });
});
