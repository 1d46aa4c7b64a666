// The gateway with its host as a real child process (the CLI on the built app), so a test can
// SIGKILL it and start another on the same Durable data folder, while what outlives a host crash
// runs on: Azurite (a child of the test, by PID), the Service Bus endpoint (in the test process)
// and the demo backend (in the test process, started when the test says). Every part is stopped
// by `stop()`, the host processes by PID with SIGKILL if a graceful stop hangs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBackend, runServiceBusBackend } from '../../scripts/demo-backend.js';
import { type ServiceBusEmulator, startServiceBusEmulator } from '../../src/emulators/servicebus/index.js';
import { blobStoreFor } from '../../src/gateway/blob-store.js';
import { requestIdFromIdempotencyKey } from '../../src/gateway/contract.js';
import { idSecret } from '../../src/gateway/id-secret.js';
import { type RunningAzurite, startAzurite, stopChild } from '../../src/host/storage/azurite.js';
import { TEST_SETTINGS } from '../support/gateway-stack.js';
import { type HostProcess, startHostProcess } from '../support/host-process.js';
import { SERVICE_BUS_SETTINGS } from '../support/servicebus-stack.js';
import { stopInOrder } from '../support/stack.js';

const REPO_ROOT = path.join(__dirname, '../..');

export type Channel = 'blob' | 'servicebus';

export interface KillableGateway {
  channel: Channel;
  azurite: RunningAzurite;
  bus?: ServiceBusEmulator;
  /** The running host (undefined between a kill and the next start). */
  host?: HostProcess;
  /** Starts a host on the stack's data folder; answers its base URL. */
  startHost(): Promise<string>;
  /** SIGKILL, and wait for the exit. */
  killHost(): Promise<void>;
  /** Starts the demo backend for the channel (in the test process). */
  startBackend(): void;
  /** The id the gateway derives from an Idempotency-Key (its secret is in storage once one was used). */
  idForKey(key: string): Promise<string>;
  stop(): Promise<void>;
}

/** The host's environment: ours without any app setting, then exactly the stack's settings. */
function hostEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(GATEWAY_|AzureWebJobs|ServiceBus|FUNCTIONS_|WEBSITE_|E2E_)/i.test(key)) env[key] = value;
  }
  return { ...env, ...settings };
}

export async function startKillableGateway(channel: Channel, extra: Record<string, string> = {}): Promise<KillableGateway> {
  const stops: Array<() => Promise<void>> = [];
  const hosts: HostProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-host-'));
  stops.push(() => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })));
  const stop = async (): Promise<void> => {
    await stopInOrder(stops.splice(0).reverse());
  };
  try {
    const azurite = await startAzurite({});
    stops.push(() => azurite.stop());
    let bus: ServiceBusEmulator | undefined;
    if (channel === 'servicebus') {
      bus = await startServiceBusEmulator({ port: 0, topology: path.join(REPO_ROOT, 'servicebus-emulator.json') });
      const started = bus;
      stops.push(() => started.stop());
    }
    // Every host this stack started, however the test ended: SIGTERM, SIGKILL after 5 s (stopChild).
    stops.push(async () => {
      for (const h of hosts) await stopChild(h.child);
    });
    const settings: Record<string, string> = {
      ...TEST_SETTINGS,
      ...(bus ? { ...SERVICE_BUS_SETTINGS, ServiceBusConnection: bus.connectionString } : { ServiceBusConnection: '' }),
      ...extra,
      AzureWebJobsStorage: azurite.connectionString,
    };
    const args = [REPO_ROOT, '--port', '0', '--storage', azurite.connectionString, '--no-emulators'];
    args.push('--data-dir', dataDir, '--lease-ms', '1000', '--blob-poll-ms', '50');
    const gateway: KillableGateway = {
      channel,
      azurite,
      bus,
      async startHost() {
        const host = await startHostProcess(args, hostEnv(settings), REPO_ROOT);
        hosts.push(host);
        gateway.host = host;
        return host.url;
      },
      async killHost() {
        const host = gateway.host;
        if (host === undefined) return;
        gateway.host = undefined;
        host.child.kill('SIGKILL');
        await host.exited;
      },
      startBackend() {
        const abort = new AbortController();
        const log = (): void => undefined;
        const running =
          bus === undefined
            ? runBackend(
                {
                  delayMs: 0,
                  intervalMs: 50,
                  connection: azurite.connectionString,
                  requests: settings.GATEWAY_REQUESTS_CONTAINER ?? 'requests',
                  handled: 'requests-handled',
                },
                abort.signal,
                log,
              )
            : runServiceBusBackend(
                {
                  via: 'servicebus',
                  delayMs: 0,
                  connection: bus.connectionString,
                  topic: 'requests',
                  subscription: 'backend',
                  fallbackReplyTo: 'replies',
                  storage: azurite.connectionString,
                },
                abort.signal,
                log,
              );
        stops.push(async () => {
          abort.abort();
          await running;
        });
      },
      async idForKey(key) {
        const secret = await idSecret(
          blobStoreFor(azurite.connectionString),
          settings.GATEWAY_CONTAINER ?? 'gateway',
          azurite.connectionString,
        );
        return requestIdFromIdempotencyKey(key, secret);
      },
      stop,
    };
    return gateway;
  } catch (error) {
    await stop();
    throw error;
  }
}
