// Backend simulator for the Service Bus channel: receives requests from the request topic's
// backend subscription (receive-and-delete: settling is the backend's business, not the
// gateway's, and would only add broker work) and replies on the reply topic with the request id
// as correlationId, the way the gateway's contract asks a backend to.
//
// Replies go out over a connection of their own: against the local endpoint, a send on the
// connection that has just delivered a receive-and-delete message stalls about 45 ms (a separate
// connection, or peek-lock, takes ~2 ms), which would be counted as the gateway's latency.
import { ServiceBusClient } from '@azure/service-bus';
import type { Backend } from './backend-blob.js';
import type { ReplyDesk } from './reply-desk.js';
import { replyBody } from './target.js';

export interface ServiceBusBackendOptions {
  connection: string;
  requestTopic: string;
  subscription: string;
  replyTopic: string;
}

export async function startServiceBusBackend(desk: ReplyDesk, options: ServiceBusBackendOptions): Promise<Backend> {
  const client = new ServiceBusClient(options.connection);
  const replyClient = new ServiceBusClient(options.connection);
  const sender = replyClient.createSender(options.replyTopic);
  const receiver = client.createReceiver(options.requestTopic, options.subscription, { receiveMode: 'receiveAndDelete' });
  let lastError = '';
  const subscription = receiver.subscribe(
    {
      processMessage: (message) => {
        const id = String(message.correlationId ?? message.messageId ?? '');
        desk.receive(id, () => sender.sendMessages({ body: replyBody(id), contentType: 'application/json', correlationId: id }));
        return Promise.resolve();
      },
      processError: (args) => {
        if (args.error.message !== lastError) console.error(`bench: Service Bus backend: ${args.error.message}`);
        lastError = args.error.message;
        return Promise.resolve();
      },
    },
    // Handlers return at once (the desk decides when to reply), so a few slots keep up.
    { maxConcurrentCalls: 64 },
  );
  // Fails fast on a wrong connection or a missing entity instead of retrying quietly.
  await receiver.peekMessages(1, { abortSignal: AbortSignal.timeout(10_000) });
  return {
    async stop() {
      await subscription.close();
      await receiver.close();
      await sender.close();
      await client.close();
      await replyClient.close();
    },
  };
}
