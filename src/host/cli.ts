#!/usr/bin/env node
// `npm start`: the local host as a process, with embedded emulators, the start banner and a graceful stop.
import fs from 'node:fs';
import path from 'node:path';
import { readConnectionSection } from '../connections/connection-section.js';
import { defaultEmulatorPort, startServiceBusEmulator } from '../emulators/servicebus/index.js';
import { loadLocalSettings, readAppConfig } from './app-config.js';
import { parseCliArgs, USAGE } from './cli-args.js';
import { describeFunctions } from './function-list.js';
import { type RunningHost, startHost } from './host.js';
import { connectionSettingValue, loadConnectionStrings } from './host-settings.js';
import { type LocalStorage, resolveLocalStorage } from './local-emulators.js';
import { flushLog } from './log-output.js';

/** `npm start`: embedded emulators (unless settings point elsewhere), then the host, until Ctrl-C. */
async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const appDir = path.resolve(args.appDir);
  loadLocalSettings(appDir);
  loadConnectionStrings(appDir);
  const config = readAppConfig(appDir);
  const stoppers: (() => Promise<void>)[] = [];
  // Processes we started, killed outright if a graceful stop hangs.
  const children: number[] = [];
  let host: RunningHost | undefined;
  const shutdown = async (signal: string): Promise<void> => {
    flushLog();
    console.log(`\n${signal}: stopping (in-flight invocations finish first)...`);
    // In-flight HTTP calls get 10 s; a broker or storage that no longer answers must not keep us here.
    setTimeout(() => {
      console.error('Stop took over 30 s; exiting anyway.');
      for (const pid of children) process.kill(pid, 'SIGKILL');
      process.exit(1);
    }, 30_000).unref();
    await host?.stop();
    for (const stop of stoppers.reverse()) await stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  let storage: LocalStorage | undefined;
  const section = readConnectionSection(config.storageSetting, process.env);
  if (args.storage) storage = { connectionString: args.storage, description: 'storage from --storage', notices: [] };
  else if (section !== undefined && section.value === undefined) {
    // Identity-based (<setting>__accountName / __blobServiceUri …): a real account, no Azurite; the host resolves it.
    console.log(`Storage: identity-based ${config.storageSetting} (${[...section.spelled.values()].join(', ')}).`);
  } else
    storage = await resolveLocalStorage(appDir, connectionSettingValue(config.storageSetting), args.emulators, {
      location: args.azuriteDir && path.resolve(args.azuriteDir),
      ports: args.azuritePorts,
    });
  const started = storage?.started;
  if (started) {
    stoppers.push(() => started.stop());
    children.push(started.pid);
  }
  if (storage) {
    for (const notice of storage.notices) console.log(notice);
    process.env[config.storageSetting] = storage.connectionString;
    console.log(`Storage: ${storage.description}`);
  }

  const provideServiceBus = args.emulators ? serviceBusProvider(appDir, stoppers) : undefined;
  try {
    host = await startHost({
      appDir,
      port: args.port,
      host: args.host,
      requireKeys: args.requireKeys,
      storageConnectionString: storage?.connectionString,
      leaseMs: args.leaseMs,
      durableDataDir: args.dataDir && path.resolve(args.dataDir),
      blobPollIntervalMs: args.blobPollMs,
      azureTiming: args.azureTiming,
      provideServiceBus,
    });
  } catch (err) {
    flushLog();
    console.error(`Host did not start: ${(err as Error).message}`);
    for (const stop of stoppers.reverse()) await stop();
    process.exit(1);
  }
  flushLog();
  console.log(describeFunctions(host));
  console.log(`Host listening on ${host.url} (task hub ${host.hubName}). Ctrl-C to stop.`);
}

/**
 * The embedded Service Bus endpoint, started the first time a setting needs it, on the official
 * emulator's port with its topology file (`servicebus-emulator.json` in the app, Config.json shape).
 */
function serviceBusProvider(appDir: string, stoppers: (() => Promise<void>)[]): () => Promise<string> {
  let started: Promise<string> | undefined;
  return () =>
    (started ??= (async () => {
      const configFile = path.join(appDir, 'servicebus-emulator.json');
      const bus = await startServiceBusEmulator({
        port: defaultEmulatorPort,
        topology: fs.existsSync(configFile) ? configFile : undefined,
        dataDir: path.join(appDir, '.servicebus'),
      });
      stoppers.push(() => bus.stop());
      console.log(
        `Service Bus: embedded local endpoint on 127.0.0.1:${bus.port}${fs.existsSync(configFile) ? ' (servicebus-emulator.json)' : ''}; messages kept in .servicebus/.`,
      );
      return bus.connectionString;
    })());
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
