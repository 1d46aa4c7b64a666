// The emulators `npm start` brings along when settings don't point elsewhere: the embedded Azurite
// (with orphan detection) and the Service Bus settings the embedded endpoint fills.
import net from 'node:net';
import path from 'node:path';
import { readConnectionSection } from '../connections/connection-section.js';
import { type RunningAzurite, startAzurite } from './storage/azurite.js';
import { removePidFile, stopOrphanAzurite, writePidFile } from './storage/azurite-pidfile.js';
import { developmentConnectionString } from './storage/connection.js';

export interface LocalStorage {
  connectionString: string;
  /** Set when this process started Azurite and must stop it. */
  started?: RunningAzurite;
  description: string;
  /** Things found on the way worth a line at start (a previous run's Azurite stopped). */
  notices: string[];
}

export interface EmbeddedStorageOptions {
  /** Azurite's data folder (default `<appDir>/.azurite`). */
  location?: string;
  /** Default the development ports 10000-10002; 0s pick free ports (tests). */
  ports?: { blob: number; queue: number; table: number };
}

const DEV_PORTS = { blob: 10000, queue: 10001, table: 10002 };

/**
 * Storage for `npm start`: the app's own setting when it names a real account; otherwise the
 * development storage ports, reusing an Azurite that already listens there or starting the
 * embedded one (data in `<appDir>/.azurite`, git-ignored) on those ports. A previous run's
 * embedded Azurite still running on the data folder is stopped first, and said so, never reused.
 */
export async function resolveLocalStorage(
  appDir: string,
  setting: string | undefined,
  allowStart: boolean,
  options: EmbeddedStorageOptions = {},
): Promise<LocalStorage> {
  const wantsDev = !setting || /UseDevelopmentStorage\s*=\s*true/i.test(setting);
  if (!wantsDev) return { connectionString: setting, description: 'storage from the app setting', notices: [] };
  const ports = options.ports ?? DEV_PORTS;
  const location = options.location ?? path.join(appDir, '.azurite');
  const notices: string[] = [];
  if (allowStart) {
    const orphan = await stopOrphanAzurite(location);
    if (orphan) notices.push(orphan);
  }
  const connectionString = developmentConnectionString(ports);
  if (ports.blob !== 0 && (await isListening(ports.blob)))
    return { connectionString, description: `Azurite already running on ${ports.blob}-${ports.table}`, notices };
  if (!allowStart) return { connectionString, description: 'development storage (not started: --no-emulators)', notices };
  const azurite = await startAzurite({ location, blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table });
  writePidFile(location, azurite.pid);
  const started: RunningAzurite = {
    ...azurite,
    stop: async () => {
      await azurite.stop();
      removePidFile(location, azurite.pid);
    },
  };
  return {
    connectionString: azurite.connectionString,
    started,
    description: `embedded Azurite (pid ${azurite.pid}, data in ${location})`,
    notices,
  };
}

export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `Endpoint=sb://localhost;…;UseDevelopmentEmulator=true` (the official emulator's string), with its port. */
export function localServiceBusPort(connectionString: string): number | undefined {
  if (!/UseDevelopmentEmulator\s*=\s*true/i.test(connectionString)) return undefined;
  const m = /Endpoint=sb:\/\/(localhost|127\.0\.0\.1)(?::(\d+))?/i.exec(connectionString);
  return m ? Number(m[2] ?? 5672) : undefined;
}

/**
 * Fills in Service Bus connection settings that the app's triggers need when they are unset or
 * name a local emulator that isn't running: `provide` starts the embedded endpoint (once) and
 * returns its connection string. Settings that point at Azure, by a connection string or by
 * identity (`<name>__fullyQualifiedNamespace`), are left alone.
 */
export async function ensureLocalServiceBus(
  settingNames: string[],
  provide: (() => Promise<string>) | undefined,
  env = process.env,
): Promise<string[]> {
  const filled: string[] = [];
  for (const name of new Set(settingNames)) {
    const section = readConnectionSection(name, env);
    if (section !== undefined && section.value === undefined) continue;
    const value = env[name];
    const port = value === undefined ? undefined : localServiceBusPort(value);
    const needed = value === undefined || (port !== undefined && !(await isListening(port)));
    if (!needed || !provide) continue;
    env[name] = await provide();
    filled.push(name);
  }
  return filled;
}
