// The Service Bus identity path through the real SDK: the gateway's ServiceBusPort, given
// `fullyQualifiedNamespace` + `managedidentity` + a client id, asks @azure/identity's
// ManagedIdentityCredential for a Service Bus token, opens AMQP over TLS and authorizes with it
// (CBS put-token of a JWT), and the message lands on the local Service Bus endpoint.
//
// What this cannot exercise: with an identity the SDK dials amqps on the namespace's port 5671,
// and tests use ephemeral ports only, so the test hands the port in the namespace
// (`127.0.0.1:<port>`), which the app's settings refuse (Azure's namespaces have no port): the
// resolver is bypassed and the client is built from the connection object directly. A TLS
// terminator on loopback stands in for the namespace's TLS; the local endpoint accepts any token
// (as the official emulator does), so the token's audience is checked here, at the identity
// endpoint, not by the broker.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { type IdentityEndpoint, type SelfSignedCert, selfSignedCert, startIdentityEndpoint } from '../support/identity-endpoint.js';

const SEND = path.join(__dirname, '../fixtures/identity-servicebus/send.js');
const CLIENT_ID = '99999999-8888-7777-6666-555555555555';

let cert: SelfSignedCert;
let bus: ServiceBusEmulator;
let endpoint: IdentityEndpoint;
let terminator: tls.Server;
let tlsPort: number;
const upstreams = new Set<net.Socket>();

beforeAll(async () => {
  cert = selfSignedCert();
  bus = await startServiceBusEmulator({ port: 0, topology: path.join(__dirname, '../../servicebus-emulator.json') });
  endpoint = await startIdentityEndpoint();
  terminator = tls.createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (socket) => {
    const upstream = net.connect(bus.port, '127.0.0.1');
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  tlsPort = (terminator.address() as net.AddressInfo).port;
}, 60_000);

afterAll(async () => {
  for (const socket of upstreams) socket.destroy();
  await new Promise<void>((resolve) => (terminator ? terminator.close(() => resolve()) : resolve()));
  await endpoint?.close();
  await bus?.stop();
  cert?.remove();
});

describe('identity-based Service Bus connection (the SDK over TLS, token from the managed identity endpoint)', () => {
  it('sends with a Service Bus token for our client id, and the message arrives', async () => {
    const client = new ServiceBusClient(bus.connectionString);
    const receiver = client.createReceiver('requests', 'backend', { receiveMode: 'receiveAndDelete' });
    try {
      await promisify(execFile)(process.execPath, [SEND, `127.0.0.1:${tlsPort}`, CLIENT_ID, 'requests', 'over an identity'], {
        env: { ...process.env, ...endpoint.env, NODE_EXTRA_CA_CERTS: cert.cert },
        timeout: 30_000,
      });
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
      expect(message?.messageId).toBe('sent-by-identity');
      expect(message?.body).toBe('over an identity');
      expect(endpoint.requests.length).toBeGreaterThan(0);
      for (const request of endpoint.requests) {
        expect(request.resource).toMatch(/^https:\/\/servicebus\.azure\.net\/?$/);
        expect(request.clientId).toBe(CLIENT_ID);
        expect(request.identityHeader).toBe(endpoint.env.IDENTITY_HEADER);
      }
    } finally {
      await receiver.close();
      await client.close();
    }
  }, 60_000);
});
