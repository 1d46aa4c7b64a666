/**
 * The local Functions host: reads the app's settings, loads it as the Node worker would, refuses
 * what it cannot run, and wires the HTTP front, the Durable engine, trigger listeners and output
 * bindings over one storage account; stops them in order.
 */

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ServiceBusClient } from '@azure/service-bus';
import { connectionKey, serviceBusClient } from '../connections/clients.js';
import { describeCredential } from '../connections/credential.js';
import type { StorageConnection } from '../connections/storage-connection.js';
import { loadLocalSettings, readAppConfig } from './app-config.js';
import { loadApp } from './app-loader.js';
import { describeUnsupported, removeUnsupported } from './bindings/binding-support.js';
import { installOutputBindings } from './bindings/output-bindings.js';
import { type ClientBindingUrls, clientBindingData, WEBHOOK_PATH } from './durable/client-binding.js';
import { createDurableRuntime } from './durable/durable-runtime.js';
import { handleManagementCall } from './durable/management-api.js';
import { enforceFunctionTimeout } from './function-timeout.js';
import { loadConnectionStrings, readHostSettings } from './host-settings.js';
import { adminMount } from './http/admin-api.js';
import { startFronts } from './http/front-setup.js';
import { DURABLE_SYSTEM_KEY, type HostKeys } from './http/host-keys.js';
import type { FrontTimeouts, HttpFront } from './http/http-front.js';
import { Invoker } from './invoker.js';
import { ensureLocalServiceBus } from './local-emulators.js';
import { writeLogLine } from './log-output.js';
import type { RegisteredFunction } from './registry.js';
import {
  assertStorageReachable,
  BLOB_TRIGGER_SERVICES,
  createStorageClients,
  HOST_STORAGE_SERVICES,
  resolveHostStorage,
  type StorageClients,
} from './storage/connection.js';
import { defaultBlobParallelism, InvocationSlots } from './triggers/blob/invocation-slots.js';
import { createTriggerListeners } from './triggers/index.js';
import { serviceBusConnection, settingName } from './triggers/servicebus-trigger.js';
import type { TriggerListener } from './triggers/trigger-listener.js';

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
  /** Blobs a container scan lists per poll (default 5000, the service's largest page); tests make it small to span pages. */
  blobScanPageSize?: number;
  /** The task hub lease: how long a crashed host's hub stays locked before another host takes it over. */
  leaseMs?: number;
  /** Where the Durable commit log and checkpoints live; default `.durable/<hub>-<storage>` under the app folder. */
  durableDataDir?: string;
  /** Starts a local Service Bus endpoint on demand, for Service Bus settings that are unset or name a local emulator that isn't running. */
  provideServiceBus?: () => Promise<string>;
  /** Enforce keys on loopback too (beyond loopback they always are); also FUNCTIONS_REQUIRE_KEYS=true. */
  requireKeys?: boolean;
  /** Header and body bounds of the HTTP front (tests pass small ones). */
  httpTimeouts?: Partial<FrontTimeouts>;
  /**
   * Azure timing: Durable client operations (start, raise, terminate, suspend, resume) are
   * acknowledged once committed and applied `delayMs` later (default: host.json
   * `storageProvider.maxQueuePollingInterval`, else the provider's 30 s), racing starts both accepted.
   */
  azureTiming?: { delayMs?: number };
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
  /** The keys, when enforced; `keysWhy` says why they are or are not. */
  keys?: HostKeys;
  keysWhy: string;
  /** What the app uses that this host does not run or apply, one line each (the start banner's list). */
  notSupported: string[];
  /** Resolves once the table view holds every change committed so far (it lags the log by design). */
  flushDurableView(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHost(o: HostOptions): Promise<RunningHost> {
  const appDir = path.resolve(o.appDir);
  const log: HostLog = o.log ?? writeLogLine;
  loadLocalSettings(appDir);
  loadConnectionStrings(appDir);
  const config = readAppConfig(appDir);
  const settings = readHostSettings(appDir);
  const notSupported = settings.notApplied.map((key) => `${key}: not applied by the local host.`);
  const hostConnection: StorageConnection | string =
    o.storageConnectionString ?? resolveHostStorage(config.storageSetting, HOST_STORAGE_SERVICES);
  const storage = createStorageClients(hostConnection);
  await assertStorageReachable(storage, config.storageSetting);
  if (typeof hostConnection !== 'string' && hostConnection.kind === 'identity') {
    log(
      'info',
      `Storage ${config.storageSetting}: identity-based, ${storage.description} as ${describeCredential(hostConnection.credential)}.`,
    );
  }

  const app = await loadApp(config, log);
  for (const refusal of removeUnsupported(app.registry)) notSupported.push(describeUnsupported(refusal));
  const { maxQueuePollingMs: _polling, ...durableLimits } = settings.durable;
  notSupported.push(...durableSettingsNotApplied(durableLimits));
  if (process.env.WEBSITE_TIME_ZONE && app.registry.byTrigger('timerTrigger').length) {
    notSupported.push(`WEBSITE_TIME_ZONE (${process.env.WEBSITE_TIME_ZONE}): not applied; timer schedules run in UTC here.`);
  }
  if (settings.serviceBus.prefetchCount !== undefined) {
    notSupported.push(
      'host.json extensions.serviceBus.prefetchCount: not applied (the JavaScript Service Bus SDK has no prefetch; it asks for maxConcurrentCalls messages at a time).',
    );
  }
  for (const line of notSupported) log('warn', line);
  if (settings.functionTimeoutMs !== undefined)
    enforceFunctionTimeout(app.registry, settings.functionTimeoutMs, settings.functionTimeoutText ?? '', log);
  const busClients = new Map<string, ServiceBusClient>();
  const hostStorageFor = (setting: string | undefined): StorageClients => storageFor(setting, config.storageSetting, storage);
  const outputs = installOutputBindings(app.registry, {
    storage: hostStorageFor,
    serviceBus: (setting) => {
      const connection = serviceBusConnection(setting);
      const key = connectionKey(connection);
      let client = busClients.get(key);
      if (!client) busClients.set(key, (client = serviceBusClient(connection)));
      return client;
    },
  });
  // The worker runs appStart before any invocation.
  await app.registry.runHooks('appStart', { hookData: {}, appHookData: {} });
  const invoker = new Invoker(app.registry, app.library, (level, fn, msg) => log(level, `[${fn}] ${msg}`));
  const durable = await createDurableRuntime({
    storage,
    hubName: config.hubName,
    registry: app.registry,
    invoker,
    log,
    appDir,
    dataDir: o.durableDataDir,
    leaseMs: o.leaseMs,
    clientDelayMs: clientDelayMs(o.azureTiming, settings.durable.maxQueuePollingMs),
  });
  const engine = durable.engine;
  log('info', describeTiming(o.azureTiming, settings.durable.maxQueuePollingMs));
  log(
    'info',
    config.durableProvider === 'azureManaged'
      ? `host.json asks for the Durable Task Scheduler (storageProvider azureManaged); locally, Durable state for hub ${config.hubName} is kept by this host instead: commit log in ${durable.dataDir}, tables in ${config.storageSetting} as its view.`
      : `Durable state for hub ${config.hubName}: commit log in ${durable.dataDir}, tables in ${config.storageSetting} as its view.`,
  );

  const hostId = createHash('sha256').update(appDir).digest('hex').slice(0, 16);
  const busSettings = [...app.registry.functions.values()].flatMap((fn) =>
    fn.bindings
      .filter((b) => b.type === 'serviceBusTrigger' || (b.type === 'serviceBus' && b.direction === 'out'))
      .map((b) => settingName(b.connection)),
  );
  for (const name of await ensureLocalServiceBus(busSettings, o.provideServiceBus))
    log('info', `Setting ${name} → the local Service Bus endpoint.`);
  const listeners = createTriggerListeners(app.registry, {
    invoker,
    storage: hostStorageFor,
    hostStorage: storage,
    appDir,
    serviceBus: settings.serviceBus,
    blobs: {
      slots: new InvocationSlots(settings.blobs.maxDegreeOfParallelism ?? defaultBlobParallelism()),
      poisonThreshold: settings.blobs.poisonBlobThreshold ?? 5,
    },
    hostId,
    log,
    pollIntervalMs: o.blobPollIntervalMs ?? 1_000,
    ...(o.blobScanPageSize !== undefined ? { scanPageSize: o.blobScanPageSize } : {}),
  });

  const urls: ClientBindingUrls = { baseUrl: '', taskHubName: config.hubName, connectionName: config.storageSetting };
  const fronts = await startFronts({
    host: o.host ?? '127.0.0.1',
    port: o.port ?? settings.localHttpPort ?? 7071,
    routePrefix: config.routePrefix,
    maxBodyBytes: o.maxBodyBytes ?? 100 * 1024 * 1024,
    functions: app.registry.byTrigger('httpTrigger'),
    invoker,
    library: app.library,
    requireKeys: o.requireKeys,
    timeouts: o.httpTimeouts,
    cors: settings.cors,
    blobs: storage.blobs,
    hostId,
    webhookPath: WEBHOOK_PATH,
    management: (call, sub) =>
      handleManagementCall(engine, app.registry, urls, {
        method: call.method,
        path: sub,
        query: call.url.searchParams,
        url: call.url.href,
        body: call.body,
        headers: call.headers,
      }),
    admin: adminMount(app.registry, invoker, listeners, log),
    log,
  });
  const front = fronts.front;
  urls.baseUrl = `${front.url}${WEBHOOK_PATH}`;
  urls.systemKey = fronts.keys?.systemKeys[DURABLE_SYSTEM_KEY];
  urls.rpcBaseUrl = fronts.rpcBaseUrl;
  invoker.provideInput('durableClient', () => clientBindingData(urls));
  // durable-functions rewrites binding URLs to localhost:7071 unless it is told where the host is.
  process.env.WEBSITE_HOSTNAME ??= `127.0.0.1:${front.port}`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // Order matters: no new requests or triggers, then in-flight work finishes, then the engine lets go.
      await Promise.all([fronts.close(), ...[...listeners.values()].map((l) => l.stop())]);
      await durable.stop();
      await outputs.close();
      await Promise.all([...busClients.values()].map((c) => c.close()));
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
    keys: fronts.keys,
    keysWhy: fronts.why,
    notSupported,
    flushDurableView: () => durable.flushView(),
    stop,
  };
}

/** Storage for a trigger's `connection` setting; the host's own storage when that is the one meant. */
function storageFor(setting: string | undefined, hostSetting: string, hostStorage: StorageClients): StorageClients {
  const name = setting || 'AzureWebJobsStorage';
  if (name === hostSetting) return hostStorage;
  return createStorageClients(resolveHostStorage(name, BLOB_TRIGGER_SERVICES));
}

/** The Durable engine has no concurrency options yet (it is being rewritten): say so rather than ignore them. */
function durableSettingsNotApplied(durable: {
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
}): string[] {
  return Object.entries(durable)
    .filter(([, v]) => v !== undefined)
    .map(
      ([key, v]) => `host.json extensions.durableTask.${key} (${String(v)}): not applied; the local Durable engine has no such limit yet.`,
    );
}

export type { TriggerListener };

/** The Azure Storage provider's default maxQueuePollingInterval. */
const PROVIDER_POLLING_MS = 30_000;

function clientDelayMs(timing: HostOptions['azureTiming'], pollingMs: number | undefined): number | undefined {
  return timing && (timing.delayMs ?? pollingMs ?? PROVIDER_POLLING_MS);
}

function describeTiming(timing: HostOptions['azureTiming'], pollingMs: number | undefined): string {
  const bound = `maxQueuePollingInterval ${pollingMs === undefined ? `unset, the provider's ${PROVIDER_POLLING_MS} ms` : `${pollingMs} ms`}`;
  const delay = clientDelayMs(timing, pollingMs);
  return delay === undefined
    ? `Durable client operations are applied as soon as they are committed (on Azure an idle app takes them up to ${bound} later; --azure-timing emulates that).`
    : `Azure timing: Durable start, raise, terminate, suspend and resume are acknowledged once committed and applied ${delay} ms later (${bound}); racing starts of one id are both accepted.`;
}
