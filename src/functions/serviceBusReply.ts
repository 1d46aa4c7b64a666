// Service Bus trigger on the reply topic's subscription: a backend answers request `abc` with a
// message whose correlationId is `abc` (or with an application property requestId), its content
// type, and an optional `status` application property. Delivery, retries, setting aside and
// settling are in gateway/replies/ (start at servicebus-channel.ts); this file only wires the
// trigger to them.
//
// The trigger is bound with `sdkBinding: true` and autoCompleteMessages off, so the function gets
// the received message and its message actions (@azure/functions-extensions-servicebus) and settles
// the message itself: on Azure through the Functions host's Settlement service, locally through the
// local host's (src/host serves the same gRPC contract).
//
// Registered only when ServiceBusConnection is set, so a gateway without a namespace keeps
// running on blobs alone instead of failing to index a trigger it cannot listen with.

import { setTimeout as sleep } from 'node:timers/promises';
import { app, type InvocationContext } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import type { DurableClient } from 'durable-functions';
import { blobStoreFor } from '../gateway/blob-store.js';
import { clientFunctions } from '../gateway/client-functions.js';
import { getConfig, parseServiceBusSettings, SERVICE_BUS_CONNECTION_SETTING } from '../gateway/config.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import {
  messageBodyBytes,
  type ReceivedReply,
  type ReplySettlement,
  settleServiceBusReply,
} from '../gateway/replies/servicebus-channel.js';
import { closeServiceBusPorts, serviceBusFor } from '../gateway/servicebus-port.js';
import { traceReply } from '../gateway/telemetry/spans.js';

// Loaded for its side effect: it registers the factory that turns the host's ModelBindingData into
// the message and its actions. Required rather than imported because the package's published
// types point into its TypeScript sources, which do not compile under this project's settings.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
require('@azure/functions-extensions-servicebus');

/** What the extension hands an `sdkBinding` trigger of cardinality one: the message and its actions. */
interface MessageContext {
  messages: ServiceBusReceivedMessage;
  actions: {
    complete(message: ServiceBusReceivedMessage): Promise<void>;
    abandon(message: ServiceBusReceivedMessage): Promise<void>;
    deadletter(message: ServiceBusReceivedMessage, propertiesToModify?: Uint8Array, reason?: unknown, description?: unknown): Promise<void>;
  };
}

function isMessageContext(input: unknown): input is MessageContext {
  const candidate = input as Partial<MessageContext> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.messages === 'object' &&
    candidate.messages !== null &&
    !Array.isArray(candidate.messages) &&
    typeof candidate.actions?.deadletter === 'function'
  );
}

/** The body's bytes as sent: a data section's content; anything else rebuilt from the decoded body. */
function bodyBytes(message: ServiceBusReceivedMessage): Buffer {
  const raw = message._rawAmqpMessage?.body as { typecode?: unknown; content?: unknown } | undefined;
  // 0x75: an AMQP data section. The extension decodes the body to text (or parsed JSON) for
  // `message.body`; the raw section keeps the bytes.
  if (raw?.typecode === 0x75 && Buffer.isBuffer(raw.content)) return raw.content;
  if (raw?.typecode === 0x75 && Array.isArray(raw.content)) return Buffer.concat(raw.content.filter((c) => Buffer.isBuffer(c)));
  return messageBodyBytes(message.body, message.contentType);
}

function receivedReply(message: ServiceBusReceivedMessage, context: InvocationContext): ReceivedReply {
  const metadata = context.triggerMetadata ?? {};
  const contentType = typeof message.contentType === 'string' && message.contentType ? message.contentType : undefined;
  const properties: unknown = message.applicationProperties;
  return {
    body: bodyBytes(message),
    contentType,
    correlationId: message.correlationId,
    messageId: message.messageId,
    // The host's binding data first: the same number on every delivery, whatever the decoder did.
    sequenceNumber: metadata.sequenceNumber ?? message.sequenceNumber?.toString(),
    subject: message.subject,
    applicationProperties: typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {},
  };
}

function settlementOf({ messages: message, actions }: MessageContext): ReplySettlement {
  return {
    complete: () => actions.complete(message),
    abandon: () => actions.abandon(message),
    // 0.2.0-preview passes the reason and description to its gRPC client as given, and the
    // contract types them as google.protobuf.StringValue: only the wrapper serializes (a bare
    // string fails the call before it leaves the worker, on Azure as here).
    deadLetter: (reason, description) => actions.deadletter(message, undefined, { value: reason }, { value: description }),
  };
}

export const serviceBusReply = async (input: unknown, client: DurableClient, context: InvocationContext): Promise<void> => {
  const config = getConfig();
  const serviceBus = config.serviceBus;
  if (serviceBus === undefined) throw new Error(`${SERVICE_BUS_CONNECTION_SETTING} is not set, yet the Service Bus reply trigger fired`);
  if (!isMessageContext(input)) {
    throw new Error('the Service Bus reply trigger did not get a message and its actions (is sdkBinding honoured by this host?)');
  }
  const reply = receivedReply(input.messages, context);
  const label = `reply message ${String(reply.messageId)}`;
  // The backend's trace context: `traceparent`, or `Diagnostic-Id` as the Azure SDKs set it.
  const traceparent = reply.applicationProperties.traceparent ?? reply.applicationProperties['Diagnostic-Id'];
  const outcome = await traceReply({ channel: 'servicebus', invocation: context, traceparent }, new GatewayDurable(client), (durable) =>
    settleServiceBusReply(reply, {
      durable,
      blobs: blobStoreFor(config.storageConnection),
      bus: serviceBusFor(serviceBus.connection),
      settlement: settlementOf(input),
      config: { ...config, serviceBus },
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
    }),
  );
  switch (outcome.result) {
    case 'setAside':
      context.warn(`${label} set aside as ${outcome.reason} (${outcome.detail}) → ${outcome.movedTo}`);
      break;
    case 'gone':
      context.log(`${label}: nothing to deliver`);
      break;
    default:
      context.log(`${label} ${outcome.result} to request ${outcome.requestId}`);
  }
};

// Neither option is in the v4 topic trigger's types (autoCompleteMessages is on the queue
// trigger's only), but both reach the host with the rest of the binding. With message actions the
// function settles the message, so the host must not complete it.
const settlesItself: Record<string, unknown> = { sdkBinding: true, autoCompleteMessages: false };

const settings = parseServiceBusSettings(process.env);
if (settings !== undefined) {
  clientFunctions.serviceBusTopic('serviceBusReply', {
    connection: SERVICE_BUS_CONNECTION_SETTING,
    // Resolved here rather than as %GATEWAY_REPLY_TOPIC%: a %Setting% reference has no default and
    // fails indexing when unset, and this way the trigger and the code read the same parsed value.
    topicName: settings.replyTopic,
    subscriptionName: settings.replySubscription,
    handler: serviceBusReply,
    ...settlesItself,
  });
}

// The dispatch activity and this function share one Service Bus client per process; let it go
// when the host stops the app.
app.hook.appTerminate(() => closeServiceBusPorts());
