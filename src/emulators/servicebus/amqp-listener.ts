// The TCP side of the endpoint: rhea's server container, its connections and their sockets.
import type { AddressInfo, Socket } from 'node:net';
import { type Connection, create_container, type EventContext } from 'rhea';
import type { DeliveryPump } from './delivery-pump.js';
import type { EntityRegistry } from './entity-registry.js';
import type { Journal } from './journal.js';
import { LinkRouter } from './link-router.js';
import { abortConnection } from './rhea-link-internals.js';

export interface AmqpListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: EntityRegistry;
  readonly journal: Journal;
  readonly maxMessageSizeInBytes: number;
  readonly log: (line: string) => void;
}

export interface AmqpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** How long clients get to answer an AMQP close before their sockets are cut. */
const closeGraceMs = 1_000;

/**
 * The error a stopping endpoint closes its connections with. The service closes connections it
 * drops (idle, upgrades) with amqp:connection:forced, which rhea, under the SDK, treats as the one
 * non-fatal close: it reports the connection as disconnected, and the SDK then drops its links and
 * CBS session and opens a fresh connection for the next send or receive. A close without an error
 * is, to rhea, the end of the conversation: no disconnected event, so the SDK keeps its stale CBS
 * links and times out on them against an endpoint that came back (rhea issue #262).
 */
const shutdownError = {
  condition: 'amqp:connection:forced',
  description: 'The Service Bus endpoint is stopping; reconnect once it is back.',
};

/** The TCP endpoint: rhea as the server side, SASL ANONYMOUS or PLAIN with any credentials. */
export async function listenForAmqp(options: AmqpListenerOptions): Promise<AmqpListener> {
  const container = create_container({ id: 'servicebus-emulator' });
  const mechanisms = container.sasl_server_mechanisms as { enable_anonymous(): void; enable_plain(check: () => boolean): void };
  mechanisms.enable_anonymous();
  mechanisms.enable_plain(() => true);

  const router = new LinkRouter(options);
  // Open connections and the pumps feeding their receiving links.
  const connections = new Map<Connection, DeliveryPump[]>();
  const forget = (connection: Connection): void => {
    for (const pump of connections.get(connection) ?? []) pump.stop();
    connections.delete(connection);
  };
  container.on('connection_open', (context: EventContext) => connections.set(context.connection, []));
  container.on('connection_close', (context: EventContext) => forget(context.connection));
  container.on('disconnected', (context: EventContext) => forget(context.connection));
  container.on('receiver_open', (context: EventContext) => context.receiver && router.routeIncoming(context.receiver));
  container.on('sender_open', (context: EventContext) => {
    const pump = context.sender && router.routeOutgoing(context.sender);
    if (pump) connections.get(context.connection)?.push(pump);
  });
  // rhea re-emits unhandled link and connection errors on the container; without a listener
  // Node would throw them and take the broker down with one misbehaving client.
  container.on('error', (error: unknown) => options.log(`amqp error: ${String(error)}`));

  const server = container.listen({
    host: options.host,
    port: options.port,
    // Dispositions and settlement are the broker's business, not rhea's defaults.
    autoaccept: false,
    treat_modified_as_released: false,
  } as Parameters<typeof container.listen>[0]);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    coalesceWritesPerTick(socket);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections.keys()) connection.close(shutdownError);
      await waitUntil(() => sockets.size === 0, closeGraceMs);
      for (const connection of connections.keys()) abortConnection(connection);
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    },
  };
}

/**
 * Small frames leave at once instead of waiting on Nagle for the client's delayed ACK (tens of
 * milliseconds per hop), yet the frames rhea writes in one synchronous run (it writes each frame
 * separately) leave as one write, so a burst of transfers is one packet, not one each. Refusals
 * that must not reach the SDK together with their attach are timed in LinkRouter.refuse.
 */
function coalesceWritesPerTick(socket: Socket): void {
  socket.setNoDelay(true);
  const write = socket.write.bind(socket);
  let corked = false;
  socket.write = ((...args: Parameters<typeof write>) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  }) as typeof write;
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
