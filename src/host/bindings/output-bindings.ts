import type { ServiceBusClient } from '@azure/service-bus';
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

/** Registers the writer as the last postInvocation hook; the returned function removes it. */
export function installOutputBindings(registry: Registry, deps: OutputDeps): () => void {
  const writers = new Map<string, { binding: BindingDef; write: Writer }[]>();
  for (const fn of registry.functions.values()) {
    const outputs = fn.bindings
      .filter((b) => b.direction === 'out' && b.type !== 'http')
      .map((b) => ({ binding: b, write: writerFor(fn, b, deps) }));
    if (outputs.length) writers.set(fn.name, outputs);
  }
  if (writers.size === 0) return () => undefined;
  return registry.addHook('postInvocation', async (core) => {
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
}

function writerFor(fn: RegisteredFunction, b: BindingDef, deps: OutputDeps): Writer {
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
      const sender = deps.serviceBus(setting).createSender(resolveBindingExpression(entity, data, where));
      try {
        const items = Array.isArray(value) ? value : [value];
        await sender.sendMessages(items.map((item) => ({ body: toBytes(item) }))).catch(fail);
      } finally {
        await sender.close();
      }
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
