// What the host and gateway tests start: real Azurite and the local host on ephemeral ports,
// a log to assert on, and a poll for conditions that settle asynchronously.
import { afterAll, beforeAll } from 'vitest';
import { type HostOptions, type RunningHost, startHost } from '../../src/host/host.js';
import { type RunningAzurite, startAzurite } from '../../src/host/storage/azurite.js';
import { azureTimingFromEnv } from './azure-timing.js';

/** Real Azurite (the npm package) on ephemeral ports, in memory; one per test file. */
export async function startTestAzurite(): Promise<RunningAzurite> {
  return startAzurite({});
}

/**
 * One Azurite for the calling test file: started before its tests, stopped (by PID) after them,
 * even when they fail. Call at the top level, before the file's own hooks, so that it starts
 * first and, afterAll hooks running in reverse, stops last. Usable once the file's tests run.
 */
export function useTestAzurite(): RunningAzurite {
  let running: RunningAzurite | undefined;
  beforeAll(async () => {
    running = await startTestAzurite();
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): RunningAzurite => {
    if (running === undefined) throw new Error('useTestAzurite(): Azurite is not running (used outside a test or hook?)');
    return running;
  };
  return {
    get connectionString() {
      return current().connectionString;
    },
    get ports() {
      return current().ports;
    },
    get pid() {
      return current().pid;
    },
    stop: () => current().stop(),
  };
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

/**
 * The local host on port 0 over the given Azurite, with short leases so recovery tests are quick;
 * in Azure timing when `E2E_AZURE_TIMING_MS` is set (test/support/azure-timing.ts) unless the
 * options say otherwise.
 */
export async function startTestHost(azurite: RunningAzurite, options: Partial<HostOptions> & { appDir: string }): Promise<RunningHost> {
  return startHost({
    port: 0,
    storageConnectionString: azurite.connectionString,
    blobPollIntervalMs: 100,
    log: captureLog().log,
    azureTiming: azureTimingFromEnv(),
    ...options,
  });
}

/**
 * One host for the calling test file over `azurite` (from useTestAzurite, called before this):
 * started before its tests, stopped after them. Returns how to reach it once the tests run.
 */
export function useTestHost(azurite: RunningAzurite, options: Partial<HostOptions> & { appDir: string }): () => RunningHost {
  let host: RunningHost | undefined;
  beforeAll(async () => {
    host = await startTestHost(azurite, options);
  });
  afterAll(async () => {
    await host?.stop();
  });
  return () => {
    if (host === undefined) throw new Error('useTestHost(): the host is not running (used outside a test or hook?)');
    return host;
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** How long one stop step may take before the next runs anyway (hookTimeout is 60 s for all). */
const STOP_STEP_MS = 20_000;

/**
 * Runs a stack's stop steps in order, each bounded and each run whatever the one before did: a
 * host still draining held callers after a timed-out test, or a step that throws, must not keep
 * Azurite (stopped by PID, last) running. Throws the first failure once all have run.
 */
export async function stopInOrder(steps: Array<() => Promise<void> | void>, boundMs = STOP_STEP_MS): Promise<void> {
  let first: Error | undefined;
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.warn(`stopInOrder: a stop step took over ${boundMs} ms; going on with the next`);
        resolve();
      }, boundMs);
    });
    try {
      await Promise.race([Promise.resolve().then(step), bound]);
    } catch (error) {
      first ??= error instanceof Error ? error : new Error(String(error));
    } finally {
      clearTimeout(timer);
    }
  }
  if (first !== undefined) throw first;
}
