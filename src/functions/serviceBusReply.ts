// Service Bus trigger on the reply topic's subscription: a backend answers request `abc` with a
// message whose correlationId is `abc` (or with an application property requestId), its content
// type, and an optional `status` application property. Delivery, retries and setting aside are
// in gateway/replies/ (start at servicebus-channel.ts); this file only wires the trigger to them.
//
// Registered only when ServiceBusConnection is set, so a gateway without a namespace keeps
// running on blobs alone instead of failing to index a trigger it cannot listen with.

import { setTimeout as sleep } from 'node:timers/promises';
import { app, type InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';
import { blobStoreFor } from '../gateway/blob-store.js';
import { getConfig, parseServiceBusSettings, SERVICE_BUS_CONNECTION_SETTING } from '../gateway/config.js';
import { GatewayDurable } from '../gateway/durable-port.js';
import { deliverServiceBusReply, messageBodyBytes, type ReceivedReply } from '../gateway/replies/servicebus-channel.js';
import { closeServiceBusPorts, serviceBusFor } from '../gateway/servicebus-port.js';

function receivedReply(body: unknown, context: InvocationContext): ReceivedReply {
  const metadata = context.triggerMetadata ?? {};
  const contentType = typeof metadata.contentType === 'string' && metadata.contentType ? metadata.contentType : undefined;
  const properties = metadata.applicationProperties;
  return {
    body: messageBodyBytes(body, contentType),
    contentType,
    correlationId: metadata.correlationId,
    messageId: metadata.messageId,
    sequenceNumber: metadata.sequenceNumber,
    subject: metadata.subject,
    applicationProperties: typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {},
  };
}

export const serviceBusReply = async (message: unknown, client: DurableClient, context: InvocationContext): Promise<void> => {
  const config = getConfig();
  const serviceBus = config.serviceBus;
  if (serviceBus === undefined) throw new Error(`${SERVICE_BUS_CONNECTION_SETTING} is not set, yet the Service Bus reply trigger fired`);
  const reply = receivedReply(message, context);
  const label = `reply message ${String(reply.messageId)}`;
  const outcome = await deliverServiceBusReply(reply, {
    durable: new GatewayDurable(client),
    blobs: blobStoreFor(config.storageConnection),
    bus: serviceBusFor(serviceBus.connection),
    config: { ...config, serviceBus },
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
  });
  switch (outcome.result) {
    case 'setAside':
      context.warn(`${label} set aside as ${outcome.reason} (${outcome.detail}) → queue ${outcome.movedTo}`);
      break;
    case 'gone':
      context.log(`${label}: nothing to deliver`);
      break;
    default:
      context.log(`${label} ${outcome.result} to request ${outcome.requestId}`);
  }
};

// `dataType` is not in the v4 option types (azure-functions-nodejs-library#72), but it reaches the
// host with the rest of the binding, and asks for the body's bytes as sent (see messageBodyBytes
// for hosts that decode and parse it instead).
const binaryBody: Record<string, unknown> = { dataType: 'binary' };

const settings = parseServiceBusSettings(process.env);
if (settings !== undefined) {
  df.app.client.serviceBusTopic('serviceBusReply', {
    connection: SERVICE_BUS_CONNECTION_SETTING,
    // Resolved here rather than as %GATEWAY_REPLY_TOPIC%: a %Setting% reference has no default and
    // fails indexing when unset, and this way the trigger and the code read the same parsed value.
    topicName: settings.replyTopic,
    subscriptionName: settings.replySubscription,
    handler: serviceBusReply,
    ...binaryBody,
  });
}

// The dispatch activity and this function share one Service Bus client per process; let it go
// when the host stops the app.
app.hook.appTerminate(() => closeServiceBusPorts());
