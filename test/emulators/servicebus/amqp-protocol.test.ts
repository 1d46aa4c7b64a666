import { type Connection, create_container, type EventContext } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../../src/emulators/servicebus/index.js';

// Protocol details the SDK depends on, checked with a bare rhea client so each is seen on its own.

let emulator: ServiceBusEmulator;
beforeAll(async () => {
  emulator = await startServiceBusEmulator({ port: 0, topology: { queues: [{ name: 'drain' }] } });
});
afterAll(async () => {
  await emulator?.stop();
});

async function openConnection(options: { username: string; password?: string }): Promise<Connection> {
  const connection = create_container().connect({ host: '127.0.0.1', port: emulator.port, reconnect: false, ...options });
  await new Promise<void>((resolve, reject) => {
    connection.once('connection_open', () => resolve());
    const fail = (context: EventContext): void =>
      reject(new Error(`connection failed: ${JSON.stringify(context.connection.error ?? context.error)}`));
    connection.once('connection_error', fail);
    connection.once('disconnected', fail);
  });
  return connection;
}

async function closeConnection(connection: Connection): Promise<void> {
  const closed = new Promise<void>((resolve) => connection.once('connection_close', () => resolve()));
  connection.close();
  await closed;
}

describe('AMQP details', () => {
  it('accepts SASL PLAIN with any credentials, as well as ANONYMOUS', async () => {
    const plain = await openConnection({ username: 'RootManageSharedAccessKey', password: 'SAS_KEY_VALUE' });
    const anonymous = await openConnection({ username: 'RootManageSharedAccessKey' });
    expect([plain.is_open(), anonymous.is_open()]).toEqual([true, true]);
    await closeConnection(plain);
    await closeConnection(anonymous);
  });

  it('answers a drain with a drain flow even when the link has no credit left', async () => {
    const connection = await openConnection({ username: 'any' });
    const sender = connection.open_sender('drain');
    await new Promise((resolve) => sender.once('sendable', resolve));
    sender.send({ body: 'only one' });
    await new Promise((resolve) => sender.once('accepted', resolve));

    const receiver = connection.open_receiver({ source: 'drain', credit_window: 0, autoaccept: true });
    const arrived = new Promise((resolve) => receiver.once('message', resolve));
    receiver.add_credit(1);
    await arrived;
    // The one credit is used; the service still echoes the drain, which the SDK waits for.
    const drained = new Promise((resolve) => receiver.once('receiver_drained', resolve));
    receiver.drain_credit();
    await expect(within(drained, 2_000)).resolves.toBe('settled');
    await closeConnection(connection);
  });
});

/** 'settled' when the promise settles in time, 'timed out' otherwise; never leaves a timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<'settled' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  try {
    return await Promise.race([promise.then(() => 'settled' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
