import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import { startHost } from '../../src/host/host.js';
import { eventually, startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();

async function call(
  host: RunningHost,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${host.url}/runtime/webhooks/durabletask/${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const runtimeStatus = async (host: RunningHost, id: string) => (await call(host, 'GET', `instances/${id}`)).json.runtimeStatus;

describe('state survives a host restart (it lives in Azurite)', () => {
  it('an instance waiting for an event completes when the event arrives after the restart', async () => {
    const first = await startTestHost(azurite, { appDir });
    const id = 'waits-across-restart';
    expect((await call(first, 'POST', `orchestrators/waitEvent/${id}`)).status).toBe(202);
    await eventually(async () => ((await runtimeStatus(first, id)) === 'Running' ? true : undefined));
    await first.stop();

    const second = await startTestHost(azurite, { appDir });
    try {
      expect(await runtimeStatus(second, id)).toBe('Running');
      expect((await call(second, 'POST', `instances/${id}/raiseEvent/go`, 'after restart')).status).toBe(202);
      const done = await eventually(async () => {
        const s = await call(second, 'GET', `instances/${id}`);
        return s.json.runtimeStatus === 'Completed' ? s.json : undefined;
      });
      expect(done.output).toEqual({ got: 'after restart' });
    } finally {
      await second.stop();
    }
  });

  it('a durable timer set before the restart fires after it', async () => {
    const first = await startTestHost(azurite, { appDir });
    const id = 'timer-across-restart';
    await call(first, 'POST', `orchestrators/sleep/${id}`, { ms: 1_000 });
    await eventually(async () => ((await runtimeStatus(first, id)) === 'Running' ? true : undefined));
    await first.stop();

    const second = await startTestHost(azurite, { appDir });
    try {
      const done = await eventually(
        async () => {
          const s = await call(second, 'GET', `instances/${id}`);
          return s.json.runtimeStatus === 'Completed' ? s.json : undefined;
        },
        15_000,
        'the timer to fire',
      );
      expect(done.output).toBe('woke');
    } finally {
      await second.stop();
    }
  });
});

describe('start-up failures', () => {
  it('names the setting when storage is unreachable', async () => {
    const dead =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
    await expect(startHost({ appDir, port: 0, storageConnectionString: dead, log: () => undefined })).rejects.toThrow(
      /AzureWebJobsStorage is unreachable/,
    );
  });

  it('says what is wrong with an app folder that has no package.json main', async () => {
    await expect(
      startHost({ appDir: __dirname, port: 0, storageConnectionString: azurite.connectionString, log: () => undefined }),
    ).rejects.toThrow(/package.json/);
  });
});
