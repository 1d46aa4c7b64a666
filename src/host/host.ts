import path from 'node:path';
import { createHash } from 'node:crypto';
import { loadLocalSettings, readAppConfig } from './app-config.js';
import { loadApp } from './app-loader.js';
import { Invoker } from './invoker.js';
import { assertStorageReachable, createStorageClients, type StorageClients } from './storage/connection.js';
import { createDurableRuntime } from './durable/durable-runtime.js';
import { clientBindingData, WEBHOOK_PATH } from './durable/client-binding.js';
import { handleManagementCall } from './durable/management-api.js';
import { startHttpFront, type HttpFront } from './http/http-front.js';
import { adminMount } from './http/admin-api.js';
import { createTriggerListeners } from './triggers/index.js';
import { ensureLocalServiceBus } from './local-emulators.js';
import { settingName } from './triggers/servicebus-trigger.js';
import type { TriggerListener } from './triggers/trigger-listener.js';
import type { RegisteredFunction } from './registry.js';

export type HostLog = (level: string, message: string) => void;

export interface HostOptions {
  /** The Functions app folder (package.json, host.json, local.settings.json). */
  appDir: string;
  /** Default 7071, as Core Tools; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Overrides the storage setting's value (tests hand in their Azurite). */
  storageConnectionString?: string;
  maxBodyBytes?: number;
  /** Blob container poll interval (the real host's is far longer; see README). */
  blobPollIntervalMs?: number;
  /** The task hub lease: how long a crashed host's hub stays locked before another host takes it over. */
  leaseMs?: number;
  /** Where the Durable commit log and checkpoints live; default `.durable/<hub>-<storage>` under the app folder. */
  durableDataDir?: string;
  /** Starts a local Service Bus endpoint on demand, for Service Bus settings that are unset or name a local emulator that isn't running. */
  provideServiceBus?: () => Promise<string>;
  log?: HostLog;
}

export interface RunningHost {
  url: string;
  port: number;
  functions: RegisteredFunction[];
  routes: HttpFront['routes'];
  storage: StorageClients;
  hubName: string;
  /** The Durable commit log's counters: group commits (writes) against the records they carried. */
  durableLogStats(): { writes: number; records: number; bytes: number };
  /** Resolves once the table view holds every change committed so far (it lags the log by design). */
  flushDurableView(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHost(o: HostOptions): Promise<RunningHost> {
  const appDir = path.resolve(o.appDir);
  const log: HostLog = o.log ?? ((level, message) => console.log(`[${new Date().toISOString()}] ${level}: ${message}`));
  loadLocalSettings(appDir);
  const config = readAppConfig(appDir);
  const connectionString = o.storageConnectionString ?? process.env[config.storageSetting];
  if (!connectionString) {
    throw new Error(`App setting ${config.storageSetting} is not set: the Durable task hub and blob triggers need a storage account (Azurite: UseDevelopmentStorage=true).`);
  }
  const storage = createStorageClients(connectionString);
  await assertStorageReachable(storage, config.storageSetting);

  const app = await loadApp(config, log);
  // The worker runs appStart before any invocation.
  await app.registry.runHooks('appStart', { hookData: {}, appHookData: {} });
  const invoker = new Invoker(app.registry, app.library, (level, fn, msg) => log(level, `[${fn}] ${msg}`));
  const durable = await createDurableRuntime({ storage, hubName: config.hubName, registry: app.registry, invoker, log, appDir, dataDir: o.durableDataDir, leaseMs: o.leaseMs });
  const engine = durable.engine;

  const busSettings = app.registry.byTrigger('serviceBusTrigger').map((fn) => settingName(fn.trigger.connection));
  for (const name of await ensureLocalServiceBus(busSettings, o.provideServiceBus)) log('info', `Setting ${name} → the local Service Bus endpoint.`);
  const listeners = createTriggerListeners(app.registry, {
    invoker,
    storage: (setting) => storageFor(setting, config.storageSetting, o.storageConnectionString ? storage : undefined),
    hostStorage: storage,
    hostId: createHash('sha256').update(appDir).digest('hex').slice(0, 16),
    log,
    pollIntervalMs: o.blobPollIntervalMs ?? 1_000,
  });

  const urls = { baseUrl: '', taskHubName: config.hubName, connectionName: config.storageSetting };
  const front = await startHttpFront({
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 7071,
    routePrefix: config.routePrefix,
    maxBodyBytes: o.maxBodyBytes ?? 100 * 1024 * 1024,
    functions: app.registry.byTrigger('httpTrigger'),
    invoker,
    library: app.library,
    mounts: {
      [WEBHOOK_PATH]: (call, sub) =>
        handleManagementCall(engine, app.registry, urls, { method: call.method, path: sub, query: call.url.searchParams, body: call.body, headers: call.headers }),
      '/admin/functions': adminMount(app.registry, invoker, listeners, log),
    },
    log,
  });
  urls.baseUrl = `${front.url}${WEBHOOK_PATH}`;
  invoker.provideInput('durableClient', () => clientBindingData(urls));
  // durable-functions rewrites binding URLs to localhost:7071 unless it is told where the host is.
  process.env.WEBSITE_HOSTNAME ??= `127.0.0.1:${front.port}`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // Order matters: no new requests or triggers, then in-flight work finishes, then the engine lets go.
      await Promise.all([front.close(), ...[...listeners.values()].map((l) => l.stop())]);
      await durable.stop();
      await app.registry.runHooks('appTerminate', { hookData: {}, appHookData: {} });
    })());
  try {
    durable.start();
    await Promise.all([...listeners.values()].map((l) => l.start()));
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    url: front.url,
    port: front.port,
    functions: [...app.registry.functions.values()],
    routes: front.routes,
    storage,
    hubName: config.hubName,
    durableLogStats: () => ({ ...durable.logStats }),
    flushDurableView: () => durable.flushView(),
    stop,
  };
}

/** Storage for a trigger's `connection` setting; the host's own storage when that is the one meant. */
function storageFor(setting: string | undefined, hostSetting: string, hostStorage: StorageClients | undefined): StorageClients {
  const name = setting || 'AzureWebJobsStorage';
  if (name === hostSetting && hostStorage) return hostStorage;
  const value = process.env[name] ?? process.env[`${name}__connectionString`] ?? process.env[`AzureWebJobs${name}`];
  if (!value) throw new Error(`Connection setting "${name}" is not set.`);
  return createStorageClients(value);
}

export type { TriggerListener };
