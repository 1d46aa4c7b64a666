// The app folder's settings files as Core Tools reads them: package.json `main`, host.json basics, local.settings.json Values.
import fs from 'node:fs';
import path from 'node:path';
import type { BindingDef } from './registry.js';

/** What the host reads from the app folder, the files Core Tools reads. */
export interface AppConfig {
  appDir: string;
  /** `package.json` `main`, a file or a glob. */
  main: string;
  routePrefix: string;
  hubName: string;
  /** host.json `extensions.durableTask.storageProvider.connectionName`, default AzureWebJobsStorage. */
  storageSetting: string;
  /**
   * host.json `storageProvider.type`: `azureStorage` (the default) or `azureManaged` (the Durable
   * Task Scheduler). The local host has no scheduler: for either it keeps Durable state itself
   * (commit log + table view in AzureWebJobsStorage), and says so at start.
   */
  durableProvider: 'azureStorage' | 'azureManaged';
}

export function readAppConfig(appDir: string): AppConfig {
  const pkg = readJson(path.join(appDir, 'package.json')) as { main?: unknown } | undefined;
  if (!pkg) throw new Error(`No package.json in ${appDir}: point the host at a Functions app folder.`);
  if (typeof pkg.main !== 'string' || !pkg.main) {
    throw new Error(`package.json in ${appDir} has no "main": it must name the app's entry files (a path or glob).`);
  }
  const hostJson = (readJson(path.join(appDir, 'host.json')) ?? {}) as {
    extensions?: {
      http?: { routePrefix?: unknown };
      durableTask?: { hubName?: unknown; storageProvider?: { type?: unknown; connectionName?: unknown; connectionStringName?: unknown } };
    };
  };
  const routePrefix = hostJson.extensions?.http?.routePrefix;
  const durable = hostJson.extensions?.durableTask;
  const hubName = resolveText(typeof durable?.hubName === 'string' ? durable.hubName : '', process.env);
  const provider = durable?.storageProvider;
  const type = typeof provider?.type === 'string' ? provider.type.toLowerCase() : 'azurestorage';
  if (type !== 'azurestorage' && type !== 'azuremanaged') {
    throw new Error(
      `host.json extensions.durableTask.storageProvider.type "${String(provider?.type)}": the local host knows azureStorage and azureManaged.`,
    );
  }
  const durableProvider = type === 'azuremanaged' ? 'azureManaged' : 'azureStorage';
  const named = provider?.connectionName ?? provider?.connectionStringName;
  // azureManaged names the scheduler's connection, which has no meaning here: state stays in storage.
  const storageSetting = durableProvider === 'azureStorage' && typeof named === 'string' && named ? named : 'AzureWebJobsStorage';
  return {
    appDir,
    main: pkg.main,
    routePrefix: typeof routePrefix === 'string' ? routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    // The extension's default hub name for Functions v4 apps is "TestHubName".
    hubName: hubName || 'TestHubName',
    storageSetting,
    durableProvider,
  };
}

/**
 * `local.settings.json` `Values` become environment variables, as Core Tools does; variables that
 * are already set win, so CI or a shell can override a checked-in setting.
 */
export function loadLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = path.join(appDir, 'local.settings.json');
  const json = readJson(file) as { Values?: Record<string, unknown> } | undefined;
  const applied: string[] = [];
  for (const [key, value] of Object.entries(json?.Values ?? {})) {
    if (env[key] !== undefined || value === null || value === undefined) continue;
    env[key] = typeof value === 'string' ? value : JSON.stringify(value);
    applied.push(key);
  }
  return applied;
}

/** `%Setting%` in binding options is replaced by the app setting, as the real host does. */
export function resolveBindingSettings(binding: BindingDef, env: NodeJS.ProcessEnv = process.env): BindingDef {
  const out: BindingDef = { ...binding };
  for (const [key, value] of Object.entries(binding)) {
    if (typeof value === 'string' && key !== 'connection') out[key] = resolveText(value, env, binding.name);
  }
  return out;
}

function resolveText(text: string, env: NodeJS.ProcessEnv, where = 'host.json'): string {
  return text.replace(/%([^%]+)%/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`App setting "${name}" referenced as %${name}% in ${where} is not set.`);
    return value;
  });
}

/** A JSON settings file, undefined when absent; BOM tolerated, malformed JSON an error naming the file. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    // host.json and local.settings.json may carry a BOM when written by Windows tools.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}
