import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';
import { startHostProcess } from '../support/host-process.js';
import { parseCliArgs } from '../../src/host/cli-args.js';

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
      const done = await eventually(async () => {
        const s = await statusOf(host.url, id);
        return s.runtimeStatus === 'Completed' ? s : undefined;
      }, 20_000, 'the orphaned activity to be re-run');
      expect(done.output).toBe('slept 5000');
    } finally {
      await host.stop();
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
  });
});
