/**
 * A stand-in backend. It answers each request, after --delay ms, with a JSON reply
 * `{ operation, echo, answeredAt }` (echo = the request JSON, or its size and content type for
 * other bodies).
 *
 * Blob channel (default): polls the requests container; replies with a blob `{id}.json` in the
 * container the request's `replyto` metadata names. Handled requests are moved to
 * `requests-handled` (not deleted) so what was dispatched stays inspectable, e.g. to check a
 * request went out once.
 * Service Bus (`--via servicebus`): receives from the request topic's subscription (`requests` /
 * `backend`); replies on the topic the request's replyTo names, correlationId = the request id;
 * completes the request message once the reply is sent. A request too large for a message comes
 * by reference (application property `bodyBlob` = `container/{id}`): the body is read from that
 * blob, in the storage account `--storage` (default AzureWebJobsStorage) names.
 *
 *   node dist/scripts/demo-backend.js [--delay ms] [--status N] [--connection C]
 *                                     [--via blob] [--interval ms] [--requests C] [--handled C]
 *                                     [--via servicebus] [--topic T] [--subscription S] [--storage C]
 *
 * Stops cleanly on SIGINT/SIGTERM: no new work, in-flight replies finish.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusSender } from '@azure/service-bus';
import { type BlobStore, blobStoreFor, DEFAULT_CONTENT_TYPE } from '../src/gateway/blob-store.js';
import { isContainerName } from '../src/gateway/config.js';
import { isJsonMediaType, isRequestId } from '../src/gateway/contract.js';
import { isHttpStatus } from '../src/gateway/contract-guards.js';
import { BODY_BLOB_PROPERTY, BODY_SIZE_PROPERTY } from '../src/gateway/request-channel.js';
import { CliUsageError, LOCAL_SERVICE_BUS, parseCliArgs, replyMessage, runCli } from './reply.js';

const USAGE =
  'usage: node dist/scripts/demo-backend.js [--delay ms] [--status N] [--connection C] [--via blob|servicebus] [--interval ms] [--requests C] [--handled C] [--topic T] [--subscription S] [--storage C]';

export interface BackendArgs {
  delayMs: number;
  intervalMs: number;
  status?: number;
  connection: string;
  requests: string;
  handled: string;
}

export interface ServiceBusBackendArgs {
  via: 'servicebus';
  delayMs: number;
  status?: number;
  connection: string;
  /** The request topic and the backend's subscription on it. */
  topic: string;
  subscription: string;
  /** Where to answer a request that names no replyTo. */
  fallbackReplyTo: string;
  /** The storage account a request sent by reference keeps its body in (the gateway's). */
  storage: string;
}

export function parseBackendArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ({ via: 'blob' } & BackendArgs) | ServiceBusBackendArgs {
  const known = ['delay', 'interval', 'status', 'connection', 'via', 'requests', 'handled', 'topic', 'subscription', 'storage'];
  const { positional, options } = parseCliArgs(argv, known, USAGE);
  if (positional.length > 0) throw new CliUsageError(`unexpected argument ${positional[0]}`, USAGE);
  const via = options.via ?? 'blob';
  if (via !== 'blob' && via !== 'servicebus') throw new CliUsageError('--via must be blob or servicebus', USAGE);
  const misplaced = (via === 'blob' ? ['topic', 'subscription', 'storage'] : ['interval', 'requests', 'handled']).find(
    (name) => options[name] !== undefined,
  );
  if (misplaced !== undefined) throw new CliUsageError(`--${misplaced} does not apply to --via ${via}`, USAGE);
  const millis = (name: string, fallback: number) => {
    const raw = options[name];
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new CliUsageError(`--${name} must be a whole number of milliseconds`, USAGE);
    return Number(raw);
  };
  const containerOption = (name: string, fallback: string) => {
    const value = options[name] ?? fallback;
    if (!isContainerName(value)) throw new CliUsageError(`--${name}: "${value}" is not a container name`, USAGE);
    return value;
  };
  const status = options.status === undefined ? undefined : Number(options.status);
  if (status !== undefined && !isHttpStatus(status)) throw new CliUsageError('--status must be 200-599', USAGE);
  if (via === 'servicebus') {
    return {
      via,
      delayMs: millis('delay', 500),
      ...(status !== undefined ? { status } : {}),
      connection: options.connection ?? env.ServiceBusConnection ?? LOCAL_SERVICE_BUS,
      topic: options.topic ?? env.GATEWAY_REQUEST_TOPIC ?? 'requests',
      subscription: options.subscription ?? 'backend',
      fallbackReplyTo: env.GATEWAY_REPLY_TOPIC ?? 'replies',
      storage: options.storage ?? env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true',
    };
  }
  const requests = containerOption('requests', env.GATEWAY_REQUESTS_CONTAINER ?? 'requests');
  return {
    via,
    delayMs: millis('delay', 500),
    intervalMs: Math.max(10, millis('interval', 200)),
    ...(status !== undefined ? { status } : {}),
    connection: options.connection ?? env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true',
    requests,
    handled: containerOption('handled', `${requests}-handled`),
  };
}

/** The demo answer: what a real backend would compute, here an echo. */
export function demoReply(request: { contentType: string; operation: string | undefined }, body: Buffer, now: Date): unknown {
  let echo: unknown = { bytes: body.length, contentType: request.contentType };
  if (isJsonMediaType(request.contentType)) {
    try {
      echo = JSON.parse(body.toString('utf8'));
    } catch {
      // Keep the size summary: the gateway only lets valid JSON through, but be lenient here.
    }
  }
  return { operation: request.operation ?? null, echo, answeredAt: now.toISOString() };
}

function demoReplyBytes(request: { contentType: string; operation: string | undefined }, body: Buffer): Buffer {
  return Buffer.from(JSON.stringify(demoReply(request, body, new Date())), 'utf8');
}

async function answer(store: BlobStore, args: BackendArgs, name: string, fallbackReplyTo: string): Promise<string> {
  const request = await store.describe(args.requests, name);
  if (request === undefined) return 'gone';
  const body = await store.read(args.requests, name, request.etag);
  if (body === undefined) return 'gone';
  const replyTo = request.metadata.replyto ?? fallbackReplyTo;
  if (!isContainerName(replyTo)) return `skipped: replyto "${replyTo}" is not a container`;
  const reply = demoReplyBytes({ contentType: request.contentType, operation: request.metadata.operation }, body);
  await store.write(replyTo, `${name}.json`, reply, {
    contentType: 'application/json',
    metadata: args.status !== undefined ? { status: String(args.status) } : {},
  });
  await store.move(request, { container: args.handled, name }, { answeredat: new Date().toISOString() });
  return `answered → ${replyTo}/${name}.json`;
}

export async function runBackend(args: BackendArgs, signal: AbortSignal, log: (line: string) => void = console.log): Promise<void> {
  const store = blobStoreFor(args.connection);
  const fallbackReplyTo = process.env.GATEWAY_REPLIES_CONTAINER ?? 'replies';
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  log(`demo backend: watching ${args.requests} every ${args.intervalMs} ms, answering after ${args.delayMs} ms`);
  while (!signal.aborted) {
    try {
      for await (const name of store.list(args.requests)) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (!isRequestId(name)) {
          log(`skipped ${name}: not a request id`);
          continue;
        }
        const work = sleep(args.delayMs)
          .then(() => answer(store, args, name, fallbackReplyTo))
          .then((what) => log(`${name}: ${what}`))
          .catch((error: unknown) => {
            // Forget it so the next poll tries again.
            seen.delete(name);
            log(`${name}: failed (${error instanceof Error ? error.message : String(error)}); will retry`);
          })
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
    } catch (error) {
      log(`listing ${args.requests} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(args.intervalMs, undefined, { signal }).catch(() => undefined);
  }
  await Promise.all(inFlight);
  log('demo backend: stopped');
}

/** The request id a Service Bus request carries: correlationId, messageId and a property all hold it. */
function requestIdOf(message: ServiceBusReceivedMessage): unknown {
  return message.correlationId ?? message.messageId ?? message.applicationProperties?.requestId;
}

/**
 * The request body: in the message, or, for a request sent by reference, in the blob its
 * `bodyBlob` property names. Only the request's own blob is followed (named by its id), and only if
 * it has the size the message says: a property is input.
 */
async function requestBody(message: ServiceBusReceivedMessage, id: string, store: Pick<BlobStore, 'describe' | 'read'>): Promise<Buffer> {
  const reference = message.applicationProperties?.[BODY_BLOB_PROPERTY];
  if (reference === undefined) return Buffer.isBuffer(message.body) ? message.body : Buffer.from(String(message.body ?? ''), 'utf8');
  const [container, name, ...rest] = typeof reference === 'string' ? reference.split('/') : [];
  if (container === undefined || !isContainerName(container) || name !== id || rest.length > 0) {
    throw new Error(`${BODY_BLOB_PROPERTY} ${JSON.stringify(reference)} does not name this request's blob`);
  }
  const blob = await store.describe(container, name);
  const bytes = blob && (await store.read(container, name, blob.etag));
  if (bytes === undefined || bytes.length !== message.applicationProperties?.[BODY_SIZE_PROPERTY]) {
    throw new Error(`the body blob ${String(reference)} is missing or not the size the request says`);
  }
  return bytes;
}

export async function runServiceBusBackend(
  args: ServiceBusBackendArgs,
  signal: AbortSignal,
  log: (line: string) => void = console.log,
): Promise<void> {
  const client = new ServiceBusClient(args.connection);
  // The bytes as the gateway sent them, not the SDK's guess at JSON.
  const receiver = client.createReceiver(args.topic, args.subscription, { skipParsingBodyAsJson: true });
  const senders = new Map<string, ServiceBusSender>();
  const senderFor = (topic: string): ServiceBusSender => {
    let sender = senders.get(topic);
    if (sender === undefined) senders.set(topic, (sender = client.createSender(topic)));
    return sender;
  };
  // rhea can merge dispositions of different outcomes sent in one tick into one frame (a range
  // with one outcome for all), so settlements go out one at a time.
  let settling: Promise<void> = Promise.resolve();
  const settle = (op: () => Promise<void>): Promise<void> => (settling = settling.then(op, op));

  const answer = async (message: ServiceBusReceivedMessage): Promise<string> => {
    const id = requestIdOf(message);
    if (!isRequestId(id)) {
      await settle(() =>
        receiver.deadLetterMessage(message, { deadLetterReason: 'no-request-id', deadLetterErrorDescription: 'not a gateway request' }),
      );
      return `message ${String(message.messageId)}: no request id, dead-lettered`;
    }
    await sleep(args.delayMs);
    const contentType = message.contentType ?? DEFAULT_CONTENT_TYPE;
    const body = await requestBody(message, id, blobStoreFor(args.storage));
    const operation = typeof message.subject === 'string' ? message.subject : undefined;
    const replyTo = message.replyTo || args.fallbackReplyTo;
    const reply = demoReplyBytes({ contentType, operation }, body);
    await senderFor(replyTo).sendMessages(replyMessage({ id, body: reply, contentType: 'application/json', status: args.status }));
    await settle(() => receiver.completeMessage(message));
    return `${id}: answered → topic ${replyTo}`;
  };

  const inFlight = new Set<Promise<void>>();
  const subscription = receiver.subscribe(
    {
      processMessage: (message) => {
        const work: Promise<void> = answer(message)
          .then(log)
          .catch(async (error: unknown) => {
            log(
              `message ${String(message.messageId)}: failed (${error instanceof Error ? error.message : String(error)}); abandoned for a retry`,
            );
            await settle(() => receiver.abandonMessage(message)).catch(() => undefined);
          })
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
        return work;
      },
      processError: (info) => {
        log(`receiving from ${args.topic}/${args.subscription}: ${info.error.message}`);
        return Promise.resolve();
      },
    },
    { autoCompleteMessages: false, maxConcurrentCalls: 64 },
  );
  log(`demo backend: receiving from topic ${args.topic}, subscription ${args.subscription}, answering after ${args.delayMs} ms`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await subscription.close();
  await Promise.all(inFlight);
  await settling.catch(() => undefined);
  await Promise.allSettled([...senders.values()].map((sender) => sender.close()));
  await receiver.close();
  await client.close();
  log('demo backend: stopped');
}

if (require.main === module) {
  runCli(async () => {
    const args = parseBackendArgs(process.argv.slice(2));
    const stop = new AbortController();
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      process.once(name, () => {
        stop.abort();
        // Closing Service Bus links waits on the broker; if it is gone already, don't hang.
        setTimeout(() => {
          console.error('demo backend: the broker did not answer the close in 5 s; exiting anyway.');
          process.exit(0);
        }, 5_000).unref();
      });
    }
    await (args.via === 'servicebus' ? runServiceBusBackend(args, stop.signal) : runBackend(args, stop.signal));
  });
}
