// Keys on the local host, as on Azure: kept in azure-webjobs-secrets, generated once, checked per
// authLevel, required by the Durable management API and the admin API, and carried by the durable
// client binding so the app's own client keeps working. Real host, real Azurite, real HTTP.
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/host/cli-args.js';
import { describeFunctions } from '../../src/host/function-list.js';
import type { RunningHost } from '../../src/host/host.js';
import { keysRequired } from '../../src/host/http/authorize.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { startTestAzurite, startTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/keys-app');
let azurite: RunningAzurite;
let host: RunningHost;
let master: string;
let functionKey: string;
let systemKey: string;

beforeAll(async () => {
  azurite = await startTestAzurite();
  host = await startTestHost(azurite, { appDir, requireKeys: true });
  master = host.keys!.master;
  functionKey = host.keys!.functionKeys.default!;
  systemKey = host.keys!.systemKeys.durabletask_extension!;
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const get = (p: string, init: RequestInit = {}) => fetch(`${host.url}${p}`, init);
const withKey = (key: string): RequestInit => ({ headers: { 'x-functions-key': key } });

async function expectUnauthorized(res: Response): Promise<void> {
  // The real host's answer: 401 with an empty body.
  expect(res.status).toBe(401);
  expect(await res.text()).toBe('');
}

describe('keys', () => {
  it("keeps them in azure-webjobs-secrets/{hostId}/host.json in the real host's HostSecrets shape", async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('azure-webjobs-secrets');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat()) names.push(b.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^[0-9a-f]{16}\/host\.json$/);
    const json = JSON.parse((await container.getBlobClient(names[0]!).downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
    expect(json.masterKey).toEqual({ name: 'master', value: master, encrypted: false });
    expect(json.functionKeys).toEqual([{ name: 'default', value: functionKey, encrypted: false }]);
    expect(json.systemKeys).toEqual([{ name: 'durabletask_extension', value: systemKey, encrypted: false }]);
    expect(master).not.toBe(functionKey);
    expect(functionKey.length).toBeGreaterThanOrEqual(40);
  });

  it('anonymous routes need none; function routes a function key or the master key, from the header or ?code=', async () => {
    expect(await (await get('/api/open')).text()).toBe('open');
    await expectUnauthorized(await get('/api/guarded'));
    await expectUnauthorized(await get('/api/guarded', withKey('wrong')));
    await expectUnauthorized(await get('/api/guarded', withKey(systemKey)));
    expect((await get('/api/guarded', withKey(functionKey))).status).toBe(200);
    expect((await get(`/api/guarded?code=${encodeURIComponent(functionKey)}`)).status).toBe(200);
    expect((await get('/api/guarded', withKey(master))).status).toBe(200);
    // The header is read first, as the real host does.
    await expectUnauthorized(await get(`/api/guarded?code=${functionKey}`, withKey('wrong')));
  });

  it('refuses before reading the body of an unauthorized request', async () => {
    await expectUnauthorized(await get('/api/guarded', { method: 'POST', body: Buffer.alloc(1024 * 1024) }));
  });

  it('admin routes and the admin API need the master key', async () => {
    await expectUnauthorized(await get('/api/admin-only', withKey(functionKey)));
    expect(await (await get('/api/admin-only', withKey(master))).text()).toBe('admin');
    await expectUnauthorized(await get('/admin/functions/hello', { method: 'POST', body: '{}' }));
    await expectUnauthorized(await get('/admin/functions/hello', { method: 'POST', body: '{}', ...withKey(functionKey) }));
    expect((await get('/admin/functions/nope', { method: 'POST', body: '{}', ...withKey(master) })).status).toBe(404);
  });

  it('the Durable management API needs the durabletask_extension system key (or the master key)', async () => {
    const list = '/runtime/webhooks/durabletask/instances';
    await expectUnauthorized(await get(list));
    await expectUnauthorized(await get(list, withKey(functionKey)));
    await expectUnauthorized(await get('/runtime/webhooks/durabletask/orchestrators/greet', { method: 'POST', body: '"x"' }));
    expect((await get(`${list}?code=${encodeURIComponent(systemKey)}`)).status).toBe(200);
    expect((await get(list, withKey(master))).status).toBe(200);
  });

  it('the durable client binding keeps working: its calls reach the engine, its URLs carry the system key', async () => {
    const res = await get('/api/start', { method: 'POST', ...withKey(functionKey) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ output: 'Hello, keys!', listed: 1 });

    const accepted = await get('/api/start?async=1', { method: 'POST', ...withKey(functionKey) });
    expect(accepted.status).toBe(202);
    const payload = (await accepted.json()) as { statusQueryGetUri: string };
    expect(new URL(payload.statusQueryGetUri).searchParams.get('code')).toBe(systemKey);
    const status = await fetch(payload.statusQueryGetUri);
    expect(status.status).toBeLessThan(300);
    expect(((await status.json()) as { name: string }).name).toBe('greet');
  });

  it('prints the keys and keyed URLs at start, and keeps the same keys across a restart', async () => {
    const banner = describeFunctions(host);
    expect(banner).toContain(`/api/guarded?code=${encodeURIComponent(functionKey)}`);
    expect(banner).toContain(`/api/admin-only?code=${encodeURIComponent(master)}`);
    expect(banner).toMatch(/\topen: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/open\n/);
    expect(banner).toContain(`system key durabletask_extension: ${systemKey}`);
    expect(banner).toContain('azure-webjobs-secrets/');

    await host.stop();
    host = await startTestHost(azurite, { appDir, requireKeys: true });
    expect(host.keys?.master).toBe(master);
    expect(host.keys?.functionKeys.default).toBe(functionKey);
    expect((await get('/api/guarded', withKey(functionKey))).status).toBe(200);
  });
});

describe('when keys are enforced', () => {
  it('beyond loopback always; on loopback only when asked (flag or FUNCTIONS_REQUIRE_KEYS)', () => {
    expect(keysRequired('0.0.0.0', undefined, {}).required).toBe(true);
    expect(keysRequired('192.168.1.5', false, {}).required).toBe(true);
    expect(keysRequired('::', undefined, {}).required).toBe(true);
    expect(keysRequired('0.0.0.0', undefined, { FUNCTIONS_REQUIRE_KEYS: 'false' }).required).toBe(true);
    expect(keysRequired('127.0.0.1', undefined, {}).required).toBe(false);
    expect(keysRequired('localhost', undefined, {}).required).toBe(false);
    expect(keysRequired('::1', undefined, {}).required).toBe(false);
    expect(keysRequired('127.0.0.1', true, {}).required).toBe(true);
    expect(keysRequired('127.0.0.1', undefined, { FUNCTIONS_REQUIRE_KEYS: 'true' }).required).toBe(true);
  });

  it('the command line takes --host and --require-keys', () => {
    expect(parseCliArgs(['app', '--host', '0.0.0.0', '--require-keys'], {})).toMatchObject({ host: '0.0.0.0', requireKeys: true });
    const plain = parseCliArgs([], {});
    expect(plain.host).toBeUndefined();
    expect(plain.requireKeys).toBe(false);
  });
});
