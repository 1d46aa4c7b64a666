/**
 * Sends a reply the way a backend does: by default uploads a blob named after the request id to
 * the replies container, where the gateway's blob trigger picks it up; with `--via servicebus`
 * sends a message to the reply topic with correlationId = the request id.
 *
 *   node dist/scripts/reply.js <id> <json | @file> [--status N] [--content-type T] [--connection C]
 *                              [--via blob] [--container C] [--name BLOBNAME]
 *                              [--via servicebus] [--topic T]
 *
 * Connection, blob: --connection, else AzureWebJobsStorage, else UseDevelopmentStorage=true (the
 * local stack prints its connection string when it uses other ports). `--name` overrides the
 * blob name unchecked, to try what the gateway does with malformed replies.
 * Connection, servicebus: --connection, else ServiceBusConnection, else the local emulator's
 * string; topic: --topic, else GATEWAY_REPLY_TOPIC, else `replies`.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type ReplyArgs, replyBlobName, sendReply } from '../src/gateway/backend-reply.js';
import { isJsonMediaType, isRequestId } from '../src/gateway/contract.js';
import { isHttpStatus } from '../src/gateway/contract-guards.js';
import { closeServiceBusPorts } from '../src/gateway/servicebus-port.js';

// The sending itself is shared with the console's reply form (src/gateway/backend-reply.ts).
export { type BlobReplyArgs, type ReplyArgs, replyMessage, type ServiceBusReplyArgs, sendReply } from '../src/gateway/backend-reply.js';

// CLI plumbing, also used by demo-backend.ts (scripts/ holds only these two tools).
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

export function parseCliArgs(
  argv: readonly string[],
  known: readonly string[],
  usage: string,
): { positional: string[]; options: Partial<Record<string, string>> } {
  const positional: string[] = [];
  const options: Partial<Record<string, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s);
    if (!known.includes(name)) throw new CliUsageError(`unknown option --${name}`, usage);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CliUsageError(`--${name} needs a value`, usage);
    options[name] = value;
  }
  return { positional, options };
}

export function runCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof CliUsageError) {
      console.error(`error: ${error.message}\n${error.usage}`);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

const USAGE =
  'usage: node dist/scripts/reply.js <id> <json | @file> [--status N] [--content-type T] [--connection C] [--via blob|servicebus] [--container C] [--name BLOBNAME] [--topic T]';

/** The official Service Bus emulator's documented connection string (port 5672), which `npm start` serves. */
export const LOCAL_SERVICE_BUS =
  'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;';

const TYPES_BY_EXTENSION: Record<string, string> = {
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.html': 'text/html',
};

export function parseReplyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ReplyArgs {
  const { positional, options } = parseCliArgs(argv, ['status', 'content-type', 'connection', 'via', 'container', 'name', 'topic'], USAGE);
  const via = options.via ?? 'blob';
  if (via !== 'blob' && via !== 'servicebus') throw new CliUsageError('--via must be blob or servicebus', USAGE);
  const misplaced = (via === 'blob' ? ['topic'] : ['container', 'name']).find((name) => options[name] !== undefined);
  if (misplaced !== undefined) throw new CliUsageError(`--${misplaced} does not apply to --via ${via}`, USAGE);
  const [id, source, ...extra] = positional;
  if (id === undefined || source === undefined || extra.length > 0) throw new CliUsageError('expected <id> and <json | @file>', USAGE);
  if (!isRequestId(id)) throw new CliUsageError(`"${id}" is not a request id (1-64 letters, digits or "-")`, USAGE);

  let body: Buffer;
  let contentType = options['content-type'];
  if (source.startsWith('@')) {
    const file = source.slice(1);
    try {
      body = readFileSync(file);
    } catch {
      throw new CliUsageError(`cannot read ${file}`, USAGE);
    }
    contentType ??= TYPES_BY_EXTENSION[extname(file).toLowerCase()] ?? 'application/octet-stream';
  } else {
    body = Buffer.from(source, 'utf8');
    contentType ??= 'application/json';
  }
  if (isJsonMediaType(contentType)) {
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      throw new CliUsageError('the reply is not valid JSON; pass --content-type for other content', USAGE);
    }
  }

  let status: number | undefined;
  if (options.status !== undefined) {
    status = Number(options.status);
    if (!/^\d{3}$/.test(options.status) || !isHttpStatus(status)) throw new CliUsageError('--status must be 200-599', USAGE);
  }
  const reply = { id, body, contentType, ...(status !== undefined ? { status } : {}) };
  if (via === 'servicebus') {
    return {
      ...reply,
      via,
      connection: options.connection ?? env.ServiceBusConnection ?? LOCAL_SERVICE_BUS,
      topic: options.topic ?? env.GATEWAY_REPLY_TOPIC ?? 'replies',
    };
  }
  return {
    ...reply,
    connection: options.connection ?? env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true',
    container: options.container ?? env.GATEWAY_REPLIES_CONTAINER ?? 'replies',
    blobName: options.name ?? replyBlobName(id, contentType),
  };
}

function describeReply(args: ReplyArgs): string {
  const status = args.status !== undefined ? `, status ${args.status}` : '';
  const what = `${args.body.length} bytes, ${args.contentType}${status}`;
  return args.via === 'servicebus'
    ? `topic ${args.topic}, correlationId ${args.id} (${what})`
    : `${args.container}/${args.blobName} (${what})`;
}

if (require.main === module) {
  runCli(async () => {
    const args = parseReplyArgs(process.argv.slice(2));
    try {
      await sendReply(args);
    } finally {
      // An open AMQP connection would keep the process alive.
      await closeServiceBusPorts();
    }
    console.log(`replied: ${describeReply(args)}`);
  });
}
