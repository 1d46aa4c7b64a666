import net from 'node:net';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from './storage/azurite.js';
import { developmentConnectionString } from './storage/connection.js';

export interface LocalStorage {
  connectionString: string;
  /** Set when this process started Azurite and must stop it. */
  started?: RunningAzurite;
  description: string;
}

const DEV_PORTS = { blob: 10000, queue: 10001, table: 10002 };

/**
 * Storage for `npm start`: the app's own setting when it names a real account; otherwise the
 * development storage ports, reusing an Azurite that already listens there or starting the
 * embedded one (data in `<appDir>/.azurite`, git-ignored) on those ports.
 */
export async function resolveLocalStorage(appDir: string, setting: string | undefined, allowStart: boolean): Promise<LocalStorage> {
  const wantsDev = !setting || /UseDevelopmentStorage\s*=\s*true/i.test(setting);
  if (!wantsDev) return { connectionString: setting, description: 'storage from the app setting' };
  const connectionString = developmentConnectionString(DEV_PORTS);
  if (await isListening(DEV_PORTS.blob)) return { connectionString, description: 'Azurite already running on 10000-10002' };
  if (!allowStart) return { connectionString, description: 'development storage (not started: --no-emulators)' };
  const started = await startAzurite({ location: path.join(appDir, '.azurite'), blobPort: DEV_PORTS.blob, queuePort: DEV_PORTS.queue, tablePort: DEV_PORTS.table });
  return { connectionString, started, description: `embedded Azurite (pid ${started.pid}, data in .azurite/)` };
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
 * returns its connection string. Settings that point at Azure are left alone.
 */
export async function ensureLocalServiceBus(settingNames: string[], provide: (() => Promise<string>) | undefined, env = process.env): Promise<string[]> {
  const filled: string[] = [];
  for (const name of new Set(settingNames)) {
    const value = env[name];
    const port = value === undefined ? undefined : localServiceBusPort(value);
    const needed = value === undefined || (port !== undefined && !(await isListening(port)));
    if (!needed || !provide) continue;
    env[name] = await provide();
    filled.push(name);
  }
  return filled;
}
