// The Settlement gRPC service that the Functions host serves to the Node worker, so that a function
// bound with `sdkBinding: true` can settle its own trigger message through
// `@azure/functions-extensions-servicebus` (complete, abandon, dead-letter with a reason, defer,
// renew the lock). It answers as the Service Bus extension's `SettlementService` does: a lock
// token it does not hold is FAILED_PRECONDITION ("LockToken … not found."), a settlement that fails
// is UNKNOWN with the error, and the message is settled through the receiver that holds its lock.
//
// The worker finds the service from its own command line (`--host`, `--port`,
// `--functions-grpc-max-message-length`, as the host starts it on Azure). Here the app runs in the
// host's process, so that command line is this process's: the server is one per process, and
// keeps its port when it is opened again, because the extension reads the address once.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { types } from 'rhea';

/** What the service can do with one locked message; the trigger listener supplies it. */
export interface LockedMessage {
  complete(): Promise<void>;
  abandon(propertiesToModify?: Record<string, unknown>): Promise<void>;
  deadLetter(options: { propertiesToModify?: Record<string, unknown>; reason?: string; description?: string }): Promise<void>;
  defer(propertiesToModify?: Record<string, unknown>): Promise<void>;
  renewLock(): Promise<void>;
}

/** The real host's default (`--functions-grpc-max-message-length`): int32 max. */
const GRPC_MAX_MESSAGE_LENGTH = 2_147_483_647;

const locks = new Map<string, LockedMessage>();
let server: grpc.Server | undefined;
let opening: Promise<number> | undefined;
let users = 0;
let lastPort = 0;

type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
type Reply = grpc.sendUnaryData<unknown>;

/** Opens the process's Settlement service (loading `protoPath`), or joins it; resolves to a handle. */
export async function openSettlementService(
  protoPath: string,
): Promise<{ register(lockToken: string, message: LockedMessage): () => void; close(): Promise<void> }> {
  users++;
  try {
    await (opening ??= listen(protoPath));
  } catch (err) {
    users--;
    opening = undefined;
    throw err;
  }
  let closed = false;
  return {
    register(lockToken, message) {
      const key = lockToken.toLowerCase();
      locks.set(key, message);
      return () => {
        if (locks.get(key) === message) locks.delete(key);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (--users > 0) return;
      const running = server;
      server = undefined;
      opening = undefined;
      running?.forceShutdown();
      await Promise.resolve();
    },
  };
}

async function listen(protoPath: string): Promise<number> {
  // The same loader options as the extension's client, so both read the contract alike.
  const definition = protoLoader.loadSync(protoPath, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const service = (grpc.loadPackageDefinition(definition).Settlement as grpc.ServiceClientConstructor | undefined)?.service;
  if (service === undefined) throw new Error(`${protoPath} defines no Settlement service`);
  // Channelz (grpc-js's call statistics, on by default) costs every settlement a few counters and
  // trace entries that nothing here reads.
  const created = new grpc.Server({ 'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_LENGTH, 'grpc.enable_channelz': 0 });
  created.addService(service, handlers());
  const port = await new Promise<number>((resolve, reject) =>
    created.bindAsync(`127.0.0.1:${lastPort}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (!err) resolve(bound);
      else if (!lastPort) reject(err);
      // The extension read the address once: anywhere else, message actions would not find it.
      else
        reject(
          new Error(
            `The Service Bus Settlement service cannot listen again on 127.0.0.1:${lastPort}, where this process's message actions expect it: ${err.message}`,
          ),
        );
    }),
  );
  server = created;
  lastPort = port;
  exposeToWorker(port);
  return port;
}

/** Puts the service's address on the worker's command line, replacing an earlier one. */
function exposeToWorker(port: number): void {
  const args = process.argv.slice(2);
  const kept: string[] = [];
  const ours = new Set(['--host', '--port', '--functions-grpc-max-message-length']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (ours.has(arg)) i++;
    else if (![...ours].some((flag) => arg.startsWith(`${flag}=`))) kept.push(arg);
  }
  process.argv.splice(
    2,
    args.length,
    ...kept,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--functions-grpc-max-message-length',
    String(GRPC_MAX_MESSAGE_LENGTH),
  );
}

function handlers(): grpc.UntypedServiceImplementation {
  const settle = (act: (message: LockedMessage, request: Record<string, unknown>) => Promise<void>) => (call: Call, reply: Reply) => {
    const token = typeof call.request.locktoken === 'string' ? call.request.locktoken : '';
    const message = locks.get(token.toLowerCase());
    if (message === undefined) {
      reply({ code: grpc.status.FAILED_PRECONDITION, details: `LockToken ${token} not found.` });
      return;
    }
    // A malformed request (propertiesToModify that is not a map) fails the call, not the process.
    Promise.resolve()
      .then(() => act(message, call.request))
      .then(
        () => reply(null, {}),
        (err: unknown) => reply({ code: grpc.status.UNKNOWN, details: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
      );
  };
  // Sessions are refused at start by the listener, so no session is ever held here.
  const noSession = (call: Call, reply: Reply) =>
    reply({ code: grpc.status.FAILED_PRECONDITION, details: `SessionId ${String(call.request.sessionId)} not found.` });
  return {
    Complete: settle((m) => m.complete()),
    Abandon: settle((m, r) => m.abandon(amqpMap(r.propertiesToModify))),
    Deadletter: settle((m, r) =>
      m.deadLetter({
        propertiesToModify: amqpMap(r.propertiesToModify),
        reason: stringValue(r.deadletterReason),
        description: stringValue(r.deadletterErrorDescription),
      }),
    ),
    Defer: settle((m, r) => m.defer(amqpMap(r.propertiesToModify))),
    RenewMessageLock: settle((m) => m.renewLock()),
    GetSessionState: noSession,
    SetSessionState: noSession,
    ReleaseSession: noSession,
    RenewSessionLock: noSession,
  };
}

/** `google.protobuf.StringValue`: absent, or `{ value }`. */
function stringValue(wrapper: unknown): string | undefined {
  if (typeof wrapper !== 'object' || wrapper === null) return undefined;
  const value = (wrapper as { value?: unknown }).value;
  return typeof value === 'string' ? value : undefined;
}

/** `propertiesToModify`: an AMQP-encoded map, or empty for none. */
function amqpMap(bytes: unknown): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  // rhea's typings leave the Reader off `types`; it is there at run time.
  const { Reader } = types as unknown as { Reader: new (buffer: Buffer) => { read(): unknown } };
  const decoded: unknown = types.unwrap(new Reader(bytes).read());
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw new Error('propertiesToModify is not an AMQP map');
  return decoded as Record<string, unknown>;
}
