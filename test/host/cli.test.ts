import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/host/cli-args.js';
import { startAzurite } from '../../src/host/storage/azurite.js';
import { startHostProcess } from '../support/host-process.js';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';

const repoRoot = path.join(__dirname, '../..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killIfAlive(pid: number | undefined): void {
  if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** The CLI with embedded Azurite on free ports and its own data folder: what `npm start` runs, isolated. */
async function startWithEmbeddedAzurite(
  dataDir: string,
): Promise<{ proc: Awaited<ReturnType<typeof startHostProcess>>; azuritePid: number }> {
  const proc = await startHostProcess([appDir, '--port', '0', '--azurite-ports', '0', '--azurite-dir', dataDir], {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  });
  const pid = /embedded Azurite \(pid (\d+)/.exec(proc.output())?.[1];
  if (!pid) {
    proc.child.kill('SIGKILL');
    throw new Error(`no embedded Azurite in the output:\n${proc.output()}`);
  }
  return { proc, azuritePid: Number(pid) };
}

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();

const statusOf = async (base: string, id: string): Promise<{ runtimeStatus?: string; output?: unknown }> =>
  (await (await fetch(`${base}/runtime/webhooks/durabletask/instances/${id}`)).json()) as { runtimeStatus?: string; output?: unknown };

describe('host CLI as a process', () => {
  it('prints the function list the way Core Tools does', async () => {
    const proc = await startHostProcess([appDir, '--port', '0', '--storage', azurite.connectionString]);
    try {
      expect(proc.output()).toMatch(/httpStart: \[POST\] http:\/\/127\.0\.0\.1:\d+\/api\/start\/\{name\}/);
      expect(proc.output()).toMatch(/chain: orchestrationTrigger/);
    } finally {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  });

  it('SIGTERM lets the activity in flight finish and commits its result before exiting', async () => {
    const proc = await startHostProcess([appDir, '--port', '0', '--storage', azurite.connectionString]);
    const id = 'graceful-stop';
    await fetch(`${proc.url}/runtime/webhooks/durabletask/orchestrators/slowWork/${id}`, { method: 'POST', body: '700' });
    await eventually(async () => ((await statusOf(proc.url, id)).runtimeStatus === 'Running' ? true : undefined));
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const host = await startTestHost(azurite, { appDir });
    try {
      const s = await statusOf(host.url, id);
      expect(s.runtimeStatus).toBe('Completed');
      expect(s.output).toBe('slept 700');
    } finally {
      await host.stop();
    }
  });

  it('after a crash (SIGKILL), another host takes the unfinished work over once the lease runs out', async () => {
    const proc = await startHostProcess([appDir, '--port', '0', '--storage', azurite.connectionString, '--lease-ms', '1000']);
    const id = 'crash-takeover';
    await fetch(`${proc.url}/runtime/webhooks/durabletask/orchestrators/slowWork/${id}`, { method: 'POST', body: '5000' });
    await eventually(async () => ((await statusOf(proc.url, id)).runtimeStatus === 'Running' ? true : undefined));
    proc.child.kill('SIGKILL');
    await proc.exited;
    const host = await startTestHost(azurite, { appDir, leaseMs: 1_000 });
    try {
      const done = await eventually(
        async () => {
          const s = await statusOf(host.url, id);
          return s.runtimeStatus === 'Completed' ? s : undefined;
        },
        20_000,
        'the orphaned activity to be re-run',
      );
      expect(done.output).toBe('slept 5000');
    } finally {
      await host.stop();
    }
  });
});

describe('no orphans: the embedded Azurite dies with the host', () => {
  it('SIGKILL of the CLI takes its embedded Azurite down too (parent-death watchdog)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-orphan-'));
    let azuritePid: number | undefined;
    try {
      const started = await startWithEmbeddedAzurite(dataDir);
      azuritePid = started.azuritePid;
      expect(isAlive(azuritePid)).toBe(true);
      expect(fs.readFileSync(path.join(dataDir, 'azurite.pid'), 'utf8').trim()).toBe(String(azuritePid));
      started.proc.child.kill('SIGKILL');
      await started.proc.exited;
      const pid = azuritePid;
      await eventually(() => (isAlive(pid) ? undefined : true), 10_000, `Azurite pid ${pid} to exit after its parent was killed`);
    } finally {
      killIfAlive(azuritePid);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a start that finds a previous run's Azurite on its data folder says so and stops it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-orphan-'));
    // Stands for an orphan the watchdog could not catch: an Azurite on this data folder, with its pid file.
    const orphan = await startAzurite({ location: dataDir });
    fs.writeFileSync(path.join(dataDir, 'azurite.pid'), `${orphan.pid}\n`);
    let azuritePid: number | undefined;
    try {
      const started = await startWithEmbeddedAzurite(dataDir);
      azuritePid = started.azuritePid;
      expect(started.proc.output()).toContain(
        `Found the embedded Azurite of a previous run still running (pid ${orphan.pid}, data in ${dataDir}); stopped it`,
      );
      expect(isAlive(orphan.pid)).toBe(false);
      expect(azuritePid).not.toBe(orphan.pid);
      expect(fs.readFileSync(path.join(dataDir, 'azurite.pid'), 'utf8').trim()).toBe(String(azuritePid));
      started.proc.child.kill('SIGKILL');
      await started.proc.exited;
    } finally {
      await orphan.stop();
      killIfAlive(azuritePid);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a clean stop (SIGTERM) stops the embedded Azurite and removes its pid file', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-orphan-'));
    let azuritePid: number | undefined;
    try {
      const started = await startWithEmbeddedAzurite(dataDir);
      azuritePid = started.azuritePid;
      started.proc.child.kill('SIGTERM');
      expect(await started.proc.exited).toBe(0);
      expect(isAlive(azuritePid)).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'azurite.pid'))).toBe(false);
    } finally {
      killIfAlive(azuritePid);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('start banner', () => {
  it('lists nothing unsupported for the gateway app', async () => {
    // The committed sample settings, as npm start's first run copies them; on blobs alone (no Service Bus namespace).
    const sample = JSON.parse(fs.readFileSync(path.join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    const { ServiceBusConnection: _bus, ...values } = sample.Values;
    const proc = await startHostProcess([repoRoot, '--port', '0', '--storage', azurite.connectionString, '--no-emulators'], values);
    try {
      expect(proc.output()).toMatch(/submitRequest: \[[A-Z,]*POST[A-Z,]*\] /);
      expect(proc.output()).not.toContain('Not supported by the local host');
      expect(proc.output()).not.toMatch(/not applied|is not loaded/);
    } finally {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  });
});

describe('CLI arguments', () => {
  it('parses the app folder and flags, and names a bad flag', () => {
    const a = parseCliArgs(['app', '--port', '0', '--lease-ms', '500', '--no-emulators'], {});
    expect(a).toMatchObject({ appDir: 'app', port: 0, leaseMs: 500, emulators: false });
    expect(parseCliArgs([], { FUNCTIONS_PORT: '8080' }).port).toBe(8080);
    expect(() => parseCliArgs(['--port', 'x'], {})).toThrow(/--port must be a whole number/);
    expect(() => parseCliArgs(['--bogus'], {})).toThrow(/Unknown option --bogus/);
    // Unset, the port falls to local.settings.json Host.LocalHttpPort, then 7071, as in Core Tools.
    expect(parseCliArgs([], {}).port).toBeUndefined();
    expect(parseCliArgs(['--azurite-ports', '0'], {}).azuritePorts).toEqual({ blob: 0, queue: 0, table: 0 });
    expect(parseCliArgs(['--azurite-ports', '1,2,3'], {}).azuritePorts).toEqual({ blob: 1, queue: 2, table: 3 });
    expect(() => parseCliArgs(['--azurite-ports', '1,2'], {})).toThrow(/blob,queue,table/);
  });
});
