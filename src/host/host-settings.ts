import path from 'node:path';
import { readConnectionSection } from '../connections/connection-section.js';
import { readJson } from './app-config.js';

/**
 * The host.json and local.settings.json settings the local host applies beyond the ones in
 * app-config (routePrefix, hubName, storage provider): `functionTimeout`, Durable concurrency,
 * Service Bus concurrency / prefetch, blob trigger concurrency and poison threshold,
 * `local.settings.json` `Host` (LocalHttpPort, CORS) and `ConnectionStrings`. Every other key is
 * either harmless here (listed in QUIET) or reported by name, so no setting is silently ignored.
 */
export interface HostSettings {
  /** host.json `functionTimeout` in ms; undefined = none (`-1`, or unset: Core Tools runs without one). */
  functionTimeoutMs?: number;
  functionTimeoutText?: string;
  durable: {
    maxConcurrentActivityFunctions?: number;
    maxConcurrentOrchestratorFunctions?: number;
    /** storageProvider.maxQueuePollingInterval in ms: the delay Azure timing applies (see host.ts). */
    maxQueuePollingMs?: number;
  };
  serviceBus: { maxConcurrentCalls?: number; prefetchCount?: number; maxAutoLockRenewalMs?: number };
  /** host.json `extensions.blobs` (blobs extension 5.x): invocations at once for all blob functions, attempts before poison. */
  blobs: { maxDegreeOfParallelism?: number; poisonBlobThreshold?: number };
  localHttpPort?: number;
  cors?: { origins: string[]; credentials: boolean };
  /** Settings the host does not apply, each named with its path, for the start banner. */
  notApplied: string[];
}

/** Keys that change nothing an app can observe locally (bundles: every binding is built in). */
const QUIET_TOP = new Set([
  'version',
  'extensionBundle',
  'logging',
  'aggregator',
  'healthMonitor',
  'watchDirectories',
  'watchFiles',
  'managedDependency',
  'extensions',
  'functionTimeout',
]);
const APPLIED: Record<string, Set<string>> = {
  http: new Set(['routePrefix']),
  durableTask: new Set(['hubName', 'storageProvider', 'maxConcurrentActivityFunctions', 'maxConcurrentOrchestratorFunctions']),
  serviceBus: new Set(['maxConcurrentCalls', 'prefetchCount', 'maxAutoLockRenewalDuration']),
  blobs: new Set(['maxDegreeOfParallelism', 'poisonBlobThreshold']),
};
const STORAGE_PROVIDER = new Set(['connectionName', 'connectionStringName', 'type', 'maxQueuePollingInterval']);

export function readHostSettings(appDir: string): HostSettings {
  const hostJson = asRecord(readJson(path.join(appDir, 'host.json')));
  const notApplied: string[] = [];
  for (const key of Object.keys(hostJson)) if (!QUIET_TOP.has(key)) notApplied.push(`host.json ${key}`);
  const extensions = asRecord(hostJson.extensions);
  for (const [ext, value] of Object.entries(extensions)) {
    const applied = APPLIED[ext];
    if (!applied) {
      notApplied.push(`host.json extensions.${ext}`);
      continue;
    }
    for (const key of Object.keys(asRecord(value))) if (!applied.has(key)) notApplied.push(`host.json extensions.${ext}.${key}`);
  }
  const durableJson = asRecord(extensions.durableTask);
  for (const key of Object.keys(asRecord(durableJson.storageProvider))) {
    if (!STORAGE_PROVIDER.has(key)) notApplied.push(`host.json extensions.durableTask.storageProvider.${key}`);
  }
  const bus = asRecord(extensions.serviceBus);
  const blobs = asRecord(extensions.blobs);
  const timeout = hostJson.functionTimeout;
  const settings: HostSettings = {
    durable: {
      maxConcurrentActivityFunctions: positiveInt(
        durableJson.maxConcurrentActivityFunctions,
        'extensions.durableTask.maxConcurrentActivityFunctions',
      ),
      maxConcurrentOrchestratorFunctions: positiveInt(
        durableJson.maxConcurrentOrchestratorFunctions,
        'extensions.durableTask.maxConcurrentOrchestratorFunctions',
      ),
      ...queuePolling(asRecord(durableJson.storageProvider).maxQueuePollingInterval),
    },
    serviceBus: {
      maxConcurrentCalls: positiveInt(bus.maxConcurrentCalls, 'extensions.serviceBus.maxConcurrentCalls'),
      prefetchCount: positiveInt(bus.prefetchCount, 'extensions.serviceBus.prefetchCount', 0),
      maxAutoLockRenewalMs:
        bus.maxAutoLockRenewalDuration === undefined
          ? undefined
          : timeSpanMs(bus.maxAutoLockRenewalDuration, 'extensions.serviceBus.maxAutoLockRenewalDuration'),
    },
    blobs: {
      maxDegreeOfParallelism: positiveInt(blobs.maxDegreeOfParallelism, 'extensions.blobs.maxDegreeOfParallelism'),
      poisonBlobThreshold: positiveInt(blobs.poisonBlobThreshold, 'extensions.blobs.poisonBlobThreshold'),
    },
    notApplied,
  };
  if (timeout !== undefined && timeout !== null && timeout !== '-1' && timeout !== -1) {
    settings.functionTimeoutMs = timeSpanMs(timeout, 'functionTimeout');
    settings.functionTimeoutText = typeof timeout === 'string' ? timeout : JSON.stringify(timeout);
  }
  const local = asRecord(readJson(path.join(appDir, 'local.settings.json')));
  const hostSection = asRecord(local.Host);
  for (const key of Object.keys(hostSection)) {
    if (!['LocalHttpPort', 'CORS', 'CORSCredentials'].includes(key)) notApplied.push(`local.settings.json Host.${key}`);
  }
  settings.localHttpPort = positiveInt(hostSection.LocalHttpPort, 'local.settings.json Host.LocalHttpPort', 0);
  if (typeof hostSection.CORS === 'string' && hostSection.CORS.trim()) {
    settings.cors = {
      origins: hostSection.CORS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      credentials: hostSection.CORSCredentials === true,
    };
  }
  return settings;
}

/**
 * `ConnectionStrings` entries, which the Functions host finds by a binding's `connection` name
 * after `AzureWebJobs{name}` and `{name}` (`GetConnectionString`): kept as `ConnectionStrings:{name}`
 * in the environment, the configuration key the host itself uses; already-set variables win.
 */
export function loadConnectionStrings(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const local = asRecord(readJson(path.join(appDir, 'local.settings.json')));
  const applied: string[] = [];
  for (const [name, value] of Object.entries(asRecord(local.ConnectionStrings))) {
    const text =
      typeof value === 'string'
        ? value
        : typeof asRecord(value).ConnectionString === 'string'
          ? (asRecord(value).ConnectionString as string)
          : undefined;
    const key = `ConnectionStrings:${name}`;
    if (text === undefined || env[key] !== undefined) continue;
    env[key] = text;
    applied.push(name);
  }
  return applied;
}

/**
 * A connection setting's connection string as the Functions host looks it up (`AzureWebJobs{name}`,
 * then `{name}`, each `ConnectionStrings:` first); undefined when unset or identity-based.
 */
export function connectionSettingValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return readConnectionSection(name, env)?.value;
}

/** .NET TimeSpan text `[d.]hh:mm:ss[.fff]` in ms. */
function queuePolling(value: unknown): { maxQueuePollingMs?: number } {
  if (value === undefined) return {};
  return { maxQueuePollingMs: timeSpanMs(value, 'extensions.durableTask.storageProvider.maxQueuePollingInterval') };
}

export function timeSpanMs(value: unknown, where: string): number {
  const m = typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim()) : null;
  if (!m) throw new Error(`host.json ${where} must be a TimeSpan like "00:05:00", got ${JSON.stringify(value)}.`);
  const [, d = '0', h = '0', min = '0', s = '0', frac = '0'] = m;
  return (((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Math.round(Number(`0.${frac}`) * 1000);
}

function positiveInt(value: unknown, where: string, min = 1): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
    throw new Error(`${where} must be a whole number >= ${min}, got ${JSON.stringify(value)}.`);
  return n;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
