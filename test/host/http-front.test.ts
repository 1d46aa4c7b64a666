import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import { startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const azurite = useTestAzurite();
let host: RunningHost;
const hooks = (): string[] => ((globalThis as Record<string, unknown>).__fixtureHooks as string[] | undefined) ?? [];

beforeAll(async () => {
  host = await startTestHost(azurite, { appDir, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await host?.stop();
});

describe('HTTP front', () => {
  it('routes templates with constraints and optional parameters, and returns the function response faithfully', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = await fetch(`${host.url}/api/echo/alpha/42`, { method: 'PUT', body: bytes });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-kind')).toBe('alpha');
    expect(res.headers.get('x-id')).toBe('42');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);

    const optional = await fetch(`${host.url}/api/echo/beta`);
    expect(optional.headers.get('x-id')).toBe('none');
  });

  it('matches literal segments case-insensitively and binds catch-all parameters', async () => {
    const res = await fetch(`${host.url}/API/Files/a/b/c.txt`);
    expect(await res.json()).toEqual({ path: 'a/b/c.txt' });
  });

  it('404 for no route or a failed constraint; an empty 404, as on Azure, for a method the route does not take', async () => {
    const none = await fetch(`${host.url}/api/nothing-here`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(`${host.url}/api/echo/123`)).status).toBe(404);
    // azure-functions-host #10098: `DELETE` on a GET/PUT route is `404`, `Content-Length: 0`.
    const wrong = await fetch(`${host.url}/api/echo/alpha`, { method: 'DELETE' });
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('content-length')).toBe('0');
    expect(wrong.headers.get('allow')).toBeNull();
    expect(await wrong.text()).toBe('');
    // #11625: HEAD on a GET route is not served either.
    expect((await fetch(`${host.url}/api/files/x`, { method: 'HEAD' })).status).toBe(404);
  });

  it('413 for a body over the limit, before the function runs', async () => {
    const before = hooks().filter((h) => h === 'pre:echo').length;
    const res = await fetch(`${host.url}/api/echo/big`, { method: 'PUT', body: Buffer.alloc(65 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toContain('65536');
    expect(hooks().filter((h) => h === 'pre:echo').length).toBe(before);
  });

  it('500 when the handler throws', async () => {
    expect((await fetch(`${host.url}/api/throws`)).status).toBe(500);
  });

  it('runs appStart and pre/post-invocation hooks', async () => {
    await fetch(`${host.url}/api/files/x`);
    expect(hooks()).toContain('appStart');
    expect(hooks()).toContain('pre:catchAll');
    expect(hooks()).toContain('post:catchAll');
  });

  it('lists the HTTP routes it serves, with their methods', () => {
    const echo = host.routes.find((r) => r.fn.name === 'echo');
    expect(echo?.path).toBe('/api/echo/{kind:alpha}/{id?}');
    expect(echo?.methods).toEqual(['GET', 'PUT']);
  });

  it('admin API: 404 for an unknown function, 400 for an HTTP function', async () => {
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${host.url}/admin/functions/echo`, { method: 'POST', body: '{}' })).status).toBe(400);
  });
});
