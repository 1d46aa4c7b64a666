import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';
import type { BindingDef, RegisteredFunction, Registry } from '../registry.js';
import type { StorageClients } from '../storage/connection.js';
import { resolveBindingExpression } from './binding-expressions.js';

/**
 * Blob, queue and Service Bus output bindings (`extraOutputs` and `return`), written after the
 * function returns as the real host flushes them: nothing is written for a failed invocation,
 * and a write that fails fails the invocation (so the trigger retries it, as on Azure). Values
 * are converted as the Node worker's `toRpcTypedData` hands them to the host: bytes stay bytes,
 * strings are UTF-8, anything else is JSON; an array to a queue or Service Bus output is one
 * message per element. Queue messages are base64, the queue extension's default encoding.
 * A Service Bus output keeps one sender per client and entity for the host's lifetime, as the
 * extension's MessagingProvider caches its senders: a sender per invocation costs an AMQP attach
 * and detach (and their frames) for every message sent.
 */
export interface OutputDeps {
  storage(connectionSetting: string | undefined): StorageClients;
  serviceBus(connectionSetting: string | undefined): ServiceBusClient;
}

type Writer = (value: unknown, triggerData: Record<string, unknown>) => Promise<void>;

interface PostInvocation {
  invocationContext: { extraOutputs: { get(name: string): unknown }; triggerMetadata?: Record<string, unknown> };
  result: unknown;
  error: unknown;
}

export interface OutputBindings {
  /** Removes the hook, then closes the Service Bus senders it opened (host stop, after in-flight invocations). */
  close(): Promise<void>;
}

/** Registers the writer as the last postInvocation hook. */
export function installOutputBindings(registry: Registry, deps: OutputDeps): OutputBindings {
  const senders = new SenderCache();
  const writers = new Map<string, { binding: BindingDef; write: Writer }[]>();
  for (const fn of registry.functions.values()) {
    const outputs = fn.bindings
      .filter((b) => b.direction === 'out' && b.type !== 'http')
      .map((b) => ({ binding: b, write: writerFor(fn, b, deps, senders) }));
    if (outputs.length) writers.set(fn.name, outputs);
  }
  if (writers.size === 0) return { close: () => Promise.resolve() };
  const remove = registry.addHook('postInvocation', async (core) => {
    const post = core as unknown as PostInvocation & { invocationContext: { functionName: string } };
    const outputs = writers.get(post.invocationContext.functionName);
    if (!outputs || post.error) return;
    const triggerData = post.invocationContext.triggerMetadata ?? {};
    try {
      for (const { binding, write } of outputs) {
        const value = binding.name === '$return' ? post.result : post.invocationContext.extraOutputs.get(binding.name);
        if (value !== undefined && value !== null) await write(value, triggerData);
      }
    } catch (err) {
      (core as { error: unknown }).error = err;
    }
  });
  return {
    close: async () => {
      remove();
      await senders.close();
    },
  };
}

/**
 * One sender per client and entity. The SDK re-attaches a sender's link (and reconnects its
 * client) on the next send after the broker detached it or went away, so a cached sender outlives
 * a broker restart; only a sender that reports itself closed is replaced.
 */
class SenderCache {
  private readonly byClient = new Map<ServiceBusClient, Map<string, ServiceBusSender>>();

  get(client: ServiceBusClient, entity: string): ServiceBusSender {
    let senders = this.byClient.get(client);
    if (!senders) this.byClient.set(client, (senders = new Map<string, ServiceBusSender>()));
    let sender = senders.get(entity);
    if (!sender || sender.isClosed) senders.set(entity, (sender = client.createSender(entity)));
    return sender;
  }

  async close(): Promise<void> {
    const all = [...this.byClient.values()].flatMap((senders) => [...senders.values()]);
    this.byClient.clear();
    await Promise.allSettled(all.map((sender) => sender.close()));
  }
}

function writerFor(fn: RegisteredFunction, b: BindingDef, deps: OutputDeps, senders: SenderCache): Writer {
  const where = `Function ${fn.name}, output binding ${b.name} (${b.type})`;
  const setting = typeof b.connection === 'string' ? b.connection : undefined;
  const fail = (err: unknown): never => {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  };
  if (b.type === 'blob') {
    const path = textOption(b.path, 'path', where);
    return async (value, data) => {
      const target = resolveBindingExpression(path, data, where);
      const slash = target.indexOf('/');
      if (slash <= 0 || slash === target.length - 1) fail(`path "${target}" must be container/blob`);
      const bytes = toBytes(value);
      const container = deps.storage(setting).blobs.getContainerClient(target.slice(0, slash));
      // The real host creates the container on first write.
      await container.createIfNotExists().catch(fail);
      await container
        .getBlockBlobClient(target.slice(slash + 1))
        .upload(bytes, bytes.length)
        .catch(fail);
    };
  }
  if (b.type === 'queue') {
    const queueName = textOption(b.queueName, 'queueName', where);
    return async (value, data) => {
      const queue = deps.storage(setting).queues.getQueueClient(resolveBindingExpression(queueName, data, where).toLowerCase());
      await queue.createIfNotExists().catch(fail);
      for (const item of Array.isArray(value) ? value : [value]) await queue.sendMessage(toBytes(item).toString('base64')).catch(fail);
    };
  }
  if (b.type === 'serviceBus') {
    const entity = typeof b.queueName === 'string' && b.queueName ? b.queueName : textOption(b.topicName, 'queueName or topicName', where);
    return async (value, data) => {
      const sender = senders.get(deps.serviceBus(setting), resolveBindingExpression(entity, data, where));
      const items = Array.isArray(value) ? value : [value];
      await sender.sendMessages(items.map((item) => ({ body: toBytes(item) }))).catch(fail);
    };
  }
  throw new Error(`${where}: not an output type the local host writes.`);
}

function textOption(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string' || !value) throw new Error(`${where} has no ${name}.`);
  return value;
}

/** What `toRpcTypedData` sends the host, as bytes. */
function toBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return Buffer.from(value as Uint8Array);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}
