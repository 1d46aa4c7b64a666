// The Service Bus trigger through the real SDK, with the extension's settlement and binding data.
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { serviceBusClient } from '../../connections/clients.js';
import { ConnectionSettingError } from '../../connections/connection-section.js';
import { resolveServiceBusConnection, type ServiceBusConnection } from '../../connections/servicebus-connection.js';
import { messageSettlement } from './servicebus/message-settlement.js';
import { isSdkBound, modelBindingData, type SdkBindingSupport, sdkBindingSupport } from './servicebus/sdk-binding.js';
import { settlementOrder } from './servicebus/settlement-order.js';
import { openSettlementService } from './servicebus/settlement-server.js';
import { triggerBodyOf } from './servicebus/trigger-body.js';
import type { TriggerContext, TriggerListener } from './trigger-listener.js';
import { toWorkerMetadata } from './worker-metadata.js';

/** The local default for `extensions.serviceBus.maxConcurrentCalls` (the extension's is 16 per core). */
const MAX_CONCURRENT_CALLS = 16;
/** The real host renews locks for up to 5 minutes by default (`maxAutoLockRenewalDuration`). */
const LOCK_RENEWAL_MS = 5 * 60_000;

/**
 * `serviceBusTrigger` (queue, or topic + subscription) through the real `@azure/service-bus`
 * SDK, as the Functions host's extension does: peek-lock, complete on success, abandon on failure
 * so the broker's MaxDeliveryCount dead-letters a poison message. With `sdkBinding: true` the
 * function gets the received message and its message actions instead of the body, and may settle
 * the message itself through the Settlement service (servicebus/settlement-server.ts).
 */
export function createServiceBusTriggerListener(ctx: TriggerContext): TriggerListener {
  const t = ctx.fn.trigger;
  const entity = describeEntity(t);
  const lockRenewalMs = ctx.serviceBus?.maxAutoLockRenewalMs ?? LOCK_RENEWAL_MS;
  let client: ServiceBusClient | undefined;
  let receiver: ServiceBusReceiver | undefined;
  let subscription: { close(): Promise<void> } | undefined;
  const inFlight = new Set<Promise<void>>();
  // rhea coalesces dispositions sent in the same tick, so two outcomes side by side can merge
  // into one frame: only completes go out side by side (settlement-order.ts).
  const order = settlementOrder();

  const sdkBound = isSdkBound(t);
  // Where the message may outlive the invocation unsettled, its lock is renewed only while the
  // function runs (message-settlement.ts); the SDK's renewer would go on until it is settled.
  const hostRenews = sdkBound || t.autoCompleteMessages === false;
  let sdk: SdkBindingSupport | undefined;
  let settlement: Awaited<ReturnType<typeof openSettlementService>> | undefined;

  const handle = async (message: ServiceBusReceivedMessage): Promise<void> => {
    const single = t.cardinality !== 'many';
    const settlementOf = messageSettlement(receiver as ServiceBusReceiver, message, {
      settle: order.run,
      autoComplete: t.autoCompleteMessages !== false,
      renewForMs: hostRenews ? lockRenewalMs : undefined,
    });
    const release = sdkBound && message.lockToken ? settlement?.register(message.lockToken, settlementOf.actions) : undefined;
    let failed = false;
    try {
      const input = sdk ? sdk.createClient(single ? modelBindingData(message) : [modelBindingData(message)]) : triggerBody(message);
      await ctx.invoker.invoke(ctx.fn, single || sdk ? input : [input], { triggerMetadata: triggerMetadata(message, single) });
    } catch (err) {
      failed = true;
      ctx.log(
        'warn',
        `Function ${ctx.fn.name}: message ${String(message.messageId)} failed (delivery ${(message.deliveryCount ?? 0) + 1}): ${(err as Error).message}`,
      );
    } finally {
      release?.();
    }
    await settlementOf
      .afterInvocation(failed)
      .catch((e: unknown) =>
        ctx.log('warn', `Function ${ctx.fn.name}: settling message ${String(message.messageId)} failed: ${(e as Error).message}`),
      );
  };
  const triggerBody = (message: ServiceBusReceivedMessage) => triggerBodyOf(message, t.dataType);

  return {
    async start() {
      if (sdkBound) {
        if (t.isSessionsEnabled === true) throw new Error(`Function ${ctx.fn.name}: sessions are not supported by the local host.`);
        sdk = sdkBindingSupport(ctx.appDir, ctx.fn.name);
        settlement = await openSettlementService(sdk.protoPath);
      }
      client = serviceBusClient(serviceBusConnection(t.connection));
      // Bodies arrive as bytes and are decoded once, as the extension and the worker do (trigger-body.ts).
      const options = { maxAutoLockRenewalDurationInMs: hostRenews ? 0 : lockRenewalMs, skipParsingBodyAsJson: true };
      receiver = entity.queue
        ? client.createReceiver(entity.queue, options)
        : client.createReceiver(entity.topic as string, entity.subscription as string, options);
      subscription = receiver.subscribe(
        {
          processMessage: (m) => {
            const run = handle(m).finally(() => inFlight.delete(run));
            inFlight.add(run);
            return run;
          },
          processError: async (args) => {
            ctx.log('warn', `Function ${ctx.fn.name}: Service Bus ${entity.label}: ${args.error.message}`);
            return Promise.resolve();
          },
        },
        { autoCompleteMessages: false, maxConcurrentCalls: ctx.serviceBus?.maxConcurrentCalls ?? MAX_CONCURRENT_CALLS },
      );
      // The subscription retries quietly; a peek up front turns a wrong setting or a missing entity into one clear line.
      await receiver.peekMessages(1, { abortSignal: AbortSignal.timeout(10_000) }).then(
        () => ctx.log('info', `Function ${ctx.fn.name}: listening on Service Bus ${entity.label}.`),
        (err: unknown) =>
          ctx.log(
            'warn',
            `Function ${ctx.fn.name}: Service Bus ${entity.label} (setting ${settingName(t.connection)}) is not reachable yet: ${(err as Error).message}`,
          ),
      );
    },
    async stop() {
      await subscription?.close();
      await Promise.all([...inFlight]);
      await order.idle();
      await receiver?.close();
      await client?.close();
      await settlement?.close();
    },
  };
}

function describeEntity(t: Record<string, unknown>): { queue?: string; topic?: string; subscription?: string; label: string } {
  if (typeof t.queueName === 'string' && t.queueName) return { queue: t.queueName, label: `queue ${t.queueName}` };
  if (typeof t.topicName === 'string' && typeof t.subscriptionName === 'string') {
    return { topic: t.topicName, subscription: t.subscriptionName, label: `topic ${t.topicName}/subscription ${t.subscriptionName}` };
  }
  throw new Error('A serviceBusTrigger needs queueName, or topicName and subscriptionName.');
}

/** The binding's `connection` setting name, with the extension's default. */
export function settingName(setting: unknown): string {
  return typeof setting === 'string' && setting ? setting : 'AzureWebJobsServiceBus';
}

/**
 * The connection behind a Service Bus `connection` setting, looked up as the host does: a
 * connection string, or `<name>__fullyQualifiedNamespace` with the identity its `__` keys name.
 */
export function serviceBusConnection(setting: unknown, env: NodeJS.ProcessEnv = process.env): ServiceBusConnection {
  const name = settingName(setting);
  let connection: ServiceBusConnection | undefined;
  try {
    connection = resolveServiceBusConnection(name, env);
  } catch (err) {
    if (err instanceof ConnectionSettingError) throw new Error(`Connection setting ${err.message}.`, { cause: err });
    throw err;
  }
  if (connection === undefined) {
    throw new Error(
      `Connection setting "${name}" for Service Bus is not set: a connection string, or ${name}__fullyQualifiedNamespace for an identity.`,
    );
  }
  return connection;
}

/**
 * The binding data the real extension (`ServiceBusTriggerBindingStrategy`) adds for a message, in
 * the host's names, then converted as the Node worker converts it (camel-cased, strings parsed).
 */
function triggerMetadata(m: ServiceBusReceivedMessage, single: boolean): Record<string, unknown> {
  const hostData: Record<string, unknown> = {
    MessageId: m.messageId,
    CorrelationId: m.correlationId,
    SessionId: m.sessionId,
    ReplyToSessionId: m.replyToSessionId,
    PartitionKey: m.partitionKey,
    ContentType: m.contentType,
    Subject: m.subject,
    Label: m.subject,
    ReplyTo: m.replyTo,
    To: m.to,
    // The wire count is zero-based; the (.NET) Functions host reports it plus one, so the first delivery is 1.
    DeliveryCount: (m.deliveryCount ?? 0) + 1,
    SequenceNumber: m.sequenceNumber?.toNumber(),
    EnqueuedTimeUtc: m.enqueuedTimeUtc?.toISOString(),
    ExpiresAtUtc: m.expiresAtUtc?.toISOString(),
    DeadLetterSource: m.deadLetterSource,
    LockToken: m.lockToken,
    ApplicationProperties: m.applicationProperties ?? {},
    UserProperties: m.applicationProperties ?? {},
  };
  const meta = toWorkerMetadata(hostData);
  if (single) return meta;
  // cardinality "many": every field becomes an array, one entry per message.
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [`${k}Array`, [v]]));
}
