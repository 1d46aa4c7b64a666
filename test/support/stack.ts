import { startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { startHost, type HostOptions, type RunningHost } from '../../src/host/host.js';

/** Real Azurite (the npm package) on ephemeral ports, in memory; one per test file. */
export async function startTestAzurite(): Promise<RunningAzurite> {
  return startAzurite({});
}

/** Lines the host logged, for assertions on warnings and errors. */
export interface CapturedLog {
  lines: { level: string; message: string }[];
  log: (level: string, message: string) => void;
}

export function captureLog(echo = !!process.env.HOST_LOG): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  return {
    lines,
    log: (level, message) => {
      lines.push({ level, message });
      if (echo) console.log(`${level}: ${message}`);
    },
  };
}

/** The local host on port 0 over the given Azurite, with short leases so recovery tests are quick. */
export async function startTestHost(azurite: RunningAzurite, options: Partial<HostOptions> & { appDir: string }): Promise<RunningHost> {
  return startHost({
    port: 0,
    storageConnectionString: azurite.connectionString,
    blobPollIntervalMs: 100,
    log: captureLog().log,
    ...options,
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
