// Azure timing (--azure-timing, startHost({ azureTiming })): Durable client operations are
// acknowledged once committed and applied after a delay, as a control-queue message is when the
// Azure Storage provider's poller has backed off; two racing starts of one id are both accepted
// and one execution runs (AzureStorageOrchestrationService.CreateTaskOrchestrationAsync ignores
// SetNewExecutionAsync's conflict; DTFx drops the second ExecutionStarted as a duplicate start).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/host/cli-args.js';
import type { RunningHost } from '../../src/host/host.js';
import { type HostProcess, startHostProcess } from '../support/host-process.js';
import { captureLog, eventually, startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();
const hosts: RunningHost[] = [];
/** One host at a time holds the task hub (its lease): each test stops its own before the next starts. */
async function stopHosts(): Promise<void> {
  for (const h of hosts.splice(0)) await h.stop();
}
const processes: HostProcess[] = [];
const folders: string[] = [];

afterEach(stopHosts);
afterAll(async () => {
  await stopHosts();
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
});

const api = (base: string, p: string) => `${base}/runtime/webhooks/durabletask/${p}`;
const JSON_BODY = { 'content-type': 'application/json' };

interface Status {
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  historyEvents?: { EventType: string; Timestamp: string }[];
}

async function status(base: string, id: string, query = ''): Promise<Status> {
  return (await (await fetch(api(base, `instances/${id}${query}`))).json()) as Status;
}

function finished(base: string, id: string, timeoutMs = 15_000): Promise<Status> {
  return eventually(
    async () => {
      const s = await status(base, id, '?showHistory=true');
      return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
    },
    timeoutMs,
    `${id} to finish`,
  );
}

const post = (url: string, body?: unknown) =>
  fetch(url, { method: 'POST', headers: JSON_BODY, body: body === undefined ? '' : JSON.stringify(body) });

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-timing-'));
  folders.push(dir);
  return dir;
}

describe('Azure timing', () => {
  it('a raise and a start are answered once committed and applied the delay later', async () => {
    const delayMs = 1_500;
    const host = await startTestHost(azurite, { appDir, azureTiming: { delayMs }, durableDataDir: tempDir() });
    hosts.push(host);
    const startSent = Date.now();
    const started = await post(api(host.url, 'orchestrators/waitEvent'));
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const running = await eventually(async () => ((await status(host.url, id)).runtimeStatus === 'Running' ? Date.now() : undefined));
    expect(running - startSent).toBeGreaterThanOrEqual(delayMs);

    const raiseSent = Date.now();
    const raised = await post(api(host.url, `instances/${id}/raiseEvent/go`), 'later');
    const raiseAnswered = Date.now();
    expect(raised.status).toBe(202);
    const done = await finished(host.url, id);
    expect(done.output).toEqual({ got: 'later' });
    const completedAt = Date.parse(done.historyEvents?.find((e) => e.EventType === 'ExecutionCompleted')?.Timestamp ?? '');
    // The episode that took the event ran no earlier than the delay after the raise was sent ...
    expect(completedAt - raiseSent).toBeGreaterThanOrEqual(delayMs);
    // ... and the 202 did not wait for it.
    expect(raiseAnswered).toBeLessThan(completedAt);
  });

  it('two racing starts of one id are both accepted; one execution runs, with one of the two inputs', async () => {
    const log = captureLog();
    // Each commit held 300 ms before it is acknowledged: both starts read "no such instance" first.
    process.env.DURABLE_HOST_TEST_COMMIT_DELAY_MS = '300';
    let host: RunningHost;
    try {
      host = await startTestHost(azurite, { appDir, azureTiming: { delayMs: 200 }, durableDataDir: tempDir(), log: log.log });
    } finally {
      delete process.env.DURABLE_HOST_TEST_COMMIT_DELAY_MS;
    }
    hosts.push(host);
    const id = `race-${Date.now()}`;
    const answers = await Promise.all([
      post(api(host.url, `orchestrators/chain/${id}`), ['A']),
      post(api(host.url, `orchestrators/chain/${id}`), ['B']),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const done = await finished(host.url, id);
    expect([['A'], ['B']]).toContainEqual(done.input);
    expect(done.output).toEqual([`Hello, ${(done.input as string[])[0]}!`]);
    expect(done.historyEvents?.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);
    expect(log.lines.some((l) => l.message.includes('a racing start was accepted and dropped as a duplicate start'))).toBe(true);
    // Not racing (the first start is in): refused, as the extension's dedupe check refuses it.
    expect((await post(api(host.url, `orchestrators/waitEvent/${id}-2`))).status).toBe(202);
    await eventually(async () => ((await status(host.url, `${id}-2`)).runtimeStatus === 'Pending' ? true : undefined));
    expect((await post(api(host.url, `orchestrators/waitEvent/${id}-2`))).status).toBe(409);
    await post(api(host.url, `instances/${id}-2/terminate?reason=cleanup`));
  });

  it('a raise acknowledged but not yet applied survives SIGKILL and is applied after the restart', async () => {
    const dataDir = tempDir();
    const args = [appDir, '--port', '0', '--storage', azurite.connectionString, '--data-dir', dataDir, '--lease-ms', '1000'];
    const first = await startHostProcess([...args, '--azure-timing-ms', '600000']);
    processes.push(first);
    expect(first.output()).toContain(
      'Azure timing: Durable start, raise, terminate, suspend and resume are acknowledged once committed and applied 600000 ms later',
    );
    const started = await post(api(first.url, 'orchestrators/workThenWait'));
    const { id } = (await started.json()) as { id: string };
    expect((await post(api(first.url, `instances/${id}/raiseEvent/go`), 'kept')).status).toBe(202);
    // Ten minutes from being applied: the instance has not even begun.
    expect((await status(first.url, id)).runtimeStatus).toBe('Pending');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startHostProcess(args);
    processes.push(second);
    const done = await finished(second.url, id, 30_000);
    expect(done.output).toEqual({ got: 'kept' });
    second.child.kill('SIGTERM');
    await second.exited;
  }, 90_000);

  it('the CLI flags: --azure-timing takes host.json maxQueuePollingInterval, --azure-timing-ms a delay of its own', () => {
    expect(parseCliArgs(['app', '--azure-timing'], {}).azureTiming).toEqual({});
    expect(parseCliArgs(['app', '--azure-timing-ms', '250'], {}).azureTiming).toEqual({ delayMs: 250 });
    expect(parseCliArgs(['app'], {}).azureTiming).toBeUndefined();
    expect(() => parseCliArgs(['--azure-timing-ms', 'soon'], {})).toThrow(/--azure-timing-ms must be a whole number/);
  });
});
