// The whole gateway as it runs locally: real Azurite (in memory, ephemeral ports), the local
// Functions host on port 0 over the repository root (so it loads the built app, `dist/`, the way
// `npm start` does) and, if asked, the demo backend in-process. One per e2e test file.

import fs from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { type BackendArgs, runBackend } from '../../scripts/demo-backend.js';
import type { HostOptions, RunningHost } from '../../src/host/host.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { type CapturedLog, captureLog, startTestAzurite, startTestHost, stopInOrder } from './stack.js';

const REPO_ROOT = path.join(__dirname, '../..');

// Every gateway setting is set explicitly, so a developer's own local.settings.json (which the
// host applies to unset keys only) cannot change what the tests see. Short waits keep the suite
// quick; the sync wait is long enough for a loaded 2-core machine.
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: 'node',
  GATEWAY_SYNC_WAIT_SECONDS: '20',
  GATEWAY_MAX_SYNC_WAIT_SECONDS: '60',
  GATEWAY_POLL_INTERVAL_MS: '100',
  GATEWAY_ASYNC_DEADLINE_SECONDS: '120',
  GATEWAY_RETRY_AFTER_SECONDS: '1',
  GATEWAY_REQUEST_CHANNEL: 'blob',
  GATEWAY_REQUESTS_CONTAINER: 'requests',
  GATEWAY_REPLIES_CONTAINER: 'replies',
  GATEWAY_REJECTED_CONTAINER: 'replies-rejected',
  GATEWAY_REPLY_BODIES_CONTAINER: 'reply-bodies',
  GATEWAY_MAX_BODY_BYTES: '1048576',
  GATEWAY_INLINE_REPLY_BYTES: '32768',
  GATEWAY_REPLY_GRACE_MS: '1000',
};

export interface GatewayStackOptions {
  /** App settings on top of TEST_SETTINGS. */
  settings?: Record<string, string>;
  /** Runs the demo backend in-process with these arguments (connection and containers are the stack's). */
  backend?: Partial<Pick<BackendArgs, 'delayMs' | 'intervalMs' | 'status'>>;
  /** The host's Azure timing (test/support/azure-timing.ts); default: as `E2E_AZURE_TIMING_MS` says. */
  azureTiming?: HostOptions['azureTiming'];
  /** Run over this Azurite (the caller starts and stops it, e.g. to restart it under load); default: one of the stack's own. */
  azurite?: RunningAzurite;
}

export interface GatewayStack {
  /** The host's base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** `${url}/api/${route}`. */
  api(route: string): string;
  /** The Durable management API of the host (for assertions only: callers never see it). */
  management(route: string): string;
  connectionString: string;
  /** The Azurite process the stack runs over (its own, stopped by stop(), or the one given). */
  azuritePid: number;
  blobs: BlobServiceClient;
  settings: Readonly<Record<string, string>>;
  host: RunningHost;
  log: CapturedLog;
  stop(): Promise<void>;
}

function assertBuilt(): void {
  const entry = path.join(REPO_ROOT, 'dist/src/functions/submitRequest.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does).`);
}

/** Sets `values` in process.env and returns how to put every key back as it was. */
function overrideEnv(values: Record<string, string>): () => void {
  const before = { ...process.env };
  Object.assign(process.env, values);
  return () => {
    // The host adds keys too (local.settings.json values, WEBSITE_HOSTNAME): drop every new one.
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  };
}

export async function startGatewayStack(options: GatewayStackOptions = {}): Promise<GatewayStack> {
  assertBuilt();
  const stops: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    // Reverse order: backend, host, Azurite, then the environment; each bounded, none skipped.
    await stopInOrder(stops.splice(0).reverse());
  };
  try {
    const given = options.azurite;
    const azurite: RunningAzurite = given ?? (await startTestAzurite());
    if (given === undefined) stops.push(() => azurite.stop());
    const settings: Record<string, string> = { ...TEST_SETTINGS, ...options.settings, AzureWebJobsStorage: azurite.connectionString };
    // The gateway functions read their settings (and their blob connection) from process.env.
    stops.push(overrideEnv(settings));
    const log = captureLog();
    const host = await startTestHost(azurite, {
      appDir: REPO_ROOT,
      blobPollIntervalMs: 50,
      log: log.log,
      ...('azureTiming' in options ? { azureTiming: options.azureTiming } : {}),
    });
    stops.push(() => host.stop());
    if (options.backend !== undefined) {
      const abort = new AbortController();
      const requests = settings.GATEWAY_REQUESTS_CONTAINER ?? 'requests';
      const running = runBackend(
        {
          delayMs: 0,
          intervalMs: 50,
          ...options.backend,
          connection: azurite.connectionString,
          requests,
          handled: `${requests}-handled`,
        },
        abort.signal,
        (line) => log.log('backend', line),
      );
      stops.push(async () => {
        abort.abort();
        await running;
      });
    }
    return {
      url: host.url,
      api: (route) => `${host.url}/api/${route}`,
      management: (route) => `${host.url}/runtime/webhooks/durabletask/${route}`,
      connectionString: azurite.connectionString,
      azuritePid: azurite.pid,
      blobs: BlobServiceClient.fromConnectionString(azurite.connectionString),
      settings,
      host,
      log,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
