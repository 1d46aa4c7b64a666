// One Durable client per binding data: invocations (of any client function) whose binding data is
// the same get the same client object, and data that changed (a rotated system key in the URLs)
// gets a new one that works. Real host with keys enforced, real Azurite, the real durable-functions
// SDK, the gateway's module as it is built (the fixture app loads dist/).
import fs from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import { startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/client-reuse-app');
const azurite = useTestAzurite();
const SECRETS = 'azure-webjobs-secrets';
const SYSTEM_KEY = 'durabletask_extension';

interface Which {
  client: number;
  statusQueryGetUri: string;
  output: unknown;
}

let host: RunningHost | undefined;
let websiteHostname: string | undefined;

beforeAll(async () => {
  const built = path.join(__dirname, '../../dist/src/gateway/client-functions.js');
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first (npm test does).`);
  // The host sets it (for getClient's URL correction) and never takes it back.
  websiteHostname = process.env.WEBSITE_HOSTNAME;
  host = await startTestHost(azurite, { appDir, requireKeys: true });
});
afterAll(async () => {
  await host?.stop();
  if (websiteHostname === undefined) delete process.env.WEBSITE_HOSTNAME;
  else process.env.WEBSITE_HOSTNAME = websiteHostname;
});

function running(): RunningHost {
  if (host === undefined) throw new Error('the host is not running');
  return host;
}

async function which(route: string): Promise<Which> {
  const res = await fetch(`${running().url}/api/${route}`, { method: 'POST' });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as Which;
  // The client it was given works: it started an orchestration and saw it complete.
  expect(answer.output).toBe('Hello, reuse!');
  return answer;
}

const keyIn = (url: string) => new URL(url).searchParams.get('code');

/** Gives the Durable extension's system key a new value in the host's secrets, as an operator's rotation does. */
async function rotateSystemKey(value: string): Promise<void> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(SECRETS);
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  expect(names).toHaveLength(1);
  const blob = container.getBlockBlobClient(names[0] ?? '');
  const secrets = JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { systemKeys: Array<{ name: string; value: string }> };
  secrets.systemKeys = secrets.systemKeys.map((k) => (k.name === SYSTEM_KEY ? { ...k, value } : k));
  const text = JSON.stringify(secrets, null, 2);
  await blob.upload(text, Buffer.byteLength(text));
}

describe('client functions', () => {
  it('give invocations with the same binding data the same client, across functions', async () => {
    const first = await which('which');
    const again = await which('which');
    const other = await which('which-too');
    expect(again.client).toBe(first.client);
    expect(other.client).toBe(first.client);
    // The binding data carries the host's system key; so do the client's URLs.
    expect(keyIn(first.statusQueryGetUri)).toBe(running().keys?.systemKeys[SYSTEM_KEY]);
    // What they replace: df.app.client.* builds a client per invocation.
    const sdk = [await which('which-sdk'), await which('which-sdk')];
    expect(new Set([first.client, ...sdk.map((s) => s.client)]).size).toBe(3);
  });

  // A rotated key reaches the binding data when the host starts again (so do its new ports: the
  // exact-key case is in client-functions.test.ts); the module, loaded from dist/, stays.
  it('give a new client for changed binding data (a rotated key), then reuse that one', async () => {
    const before = await which('which');
    await running().stop();
    await rotateSystemKey('rotated-system-key-for-the-reuse-test-0123456789');
    host = await startTestHost(azurite, { appDir, requireKeys: true });
    expect(running().keys?.systemKeys[SYSTEM_KEY]).toBe('rotated-system-key-for-the-reuse-test-0123456789');
    const after = await which('which');
    expect(after.client).not.toBe(before.client);
    expect(keyIn(after.statusQueryGetUri)).toBe('rotated-system-key-for-the-reuse-test-0123456789');
    expect((await which('which-too')).client).toBe(after.client);
  });
});
