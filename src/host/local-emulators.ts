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
  const started = await startAzurite({ location: path.join(appDir, '.azurite'), ...{ blobPort: DEV_PORTS.blob, queuePort: DEV_PORTS.queue, tablePort: DEV_PORTS.table } });
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
