// Azurite (the npm package) as a child process that cannot outlive its parent: for `npm start` and the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { developmentConnectionString } from './connection.js';

/**
 * V8 heap sizing for the Azurite child. With V8's defaults its heap grew to ~2× what it holds
 * (16 MiB semi-spaces, old space let grow up to 4× between full collections): a fresh stack's
 * Azurite sat at ~117 MiB RSS and reached ~170 MiB while 1000 held callers drained. With these
 * it sits at ~91 and peaks at ~133 MiB (bench holding phase, Service Bus, load average 0–1.5),
 * at no cost to throughput, since Azurite uses ~5–10 % of a core under load. The host keeps
 * V8's defaults: the same flags on it cost 15–25 % of throughput (it is CPU-bound).
 */
export const AZURITE_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=20'] as const;

export interface AzuriteOptions {
  /** Folder for Azurite's data; omitted → in-memory (tests). */
  location?: string;
  /** Fixed ports (npm start: 10000-10002, so tools that assume UseDevelopmentStorage work); default 0. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  startTimeoutMs?: number;
  /**
   * Serve https with this certificate and accept bearer tokens (`--oauth basic`: issuer, audience
   * and expiry checked, no signature), for tests of identity-based connections.
   */
  oauth?: { cert: string; key: string };
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  pid: number;
  stop(): Promise<void>;
}

/**
 * Preloaded into the Azurite child: its stdin is a pipe from this process, so EOF on it means we
 * died (even by SIGKILL, which runs no handler of ours). It then shuts Azurite down the way
 * Ctrl-C does (SIGTERM, so data on disk is saved), and exits hard if that hangs.
 */
const PARENT_WATCHDOG =
  'data:text/javascript,' +
  encodeURIComponent(
    "const bye=()=>{process.kill(process.pid,'SIGTERM');setTimeout(()=>process.exit(1),5000).unref()};" +
      "process.stdin.on('end',bye);process.stdin.on('close',bye);process.stdin.on('error',bye);process.stdin.resume();",
  );

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:]+:(\d+)/;

/**
 * Starts the Azurite npm package as a child process. `require('azurite')` cannot be used: its
 * `main` is the VS Code extension. `--skipApiVersionCheck` because the newest storage SDKs send
 * API versions the published Azurite does not know yet; `--disableTelemetry` because it would
 * otherwise try to reach an outside host.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const requireFromHere = createRequire(__filename);
  const pkgPath = requireFromHere.resolve('azurite/package.json');
  const bin = path.join(path.dirname(pkgPath), 'dist/src/azurite.js');
  const args = [
    '--import',
    PARENT_WATCHDOG,
    bin,
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
  ];
  if (options.oauth) args.push('--oauth', 'basic', '--cert', options.oauth.cert, '--key', options.oauth.key);
  if (options.location) {
    fs.mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else args.push('--inMemoryPersistence');

  const child = spawn(process.execPath, [...AZURITE_NODE_FLAGS, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.location ?? process.cwd(),
  });
  const ports = await waitForPorts(child, options.startTimeoutMs ?? 30_000);
  return {
    ports,
    pid: child.pid ?? -1,
    connectionString: developmentConnectionString(ports, options.oauth ? 'https' : 'http'),
    stop: () => stopChild(child),
  };
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<RunningAzurite['ports']> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        const m = LISTENING.exec(line);
        if (m?.[1] && m[2]) found[m[1].toLowerCase() as 'blob' | 'queue' | 'table'] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty child never blocks on a full pipe.
        child.stdout?.resume();
        resolve({ blob: found.blob, queue: found.queue, table: found.table });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => fail(new Error(`Azurite exited with code ${code} before listening:\n${output}`)));
    child.once('error', fail);
  });
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
