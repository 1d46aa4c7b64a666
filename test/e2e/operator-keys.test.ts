// The operator routes (set-aside replies, the retention timer's admin run) with keys enforced,
// as on Azure: a function key (or the master key) opens /api/rejected, the master key the admin
// run; without one both are 401, while the callers' routes stay anonymous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { call } from './gateway-client.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { FUNCTIONS_REQUIRE_KEYS: 'true' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('operator routes with keys enforced', () => {
  it('GET /api/rejected needs a function key; the callers routes do not', async () => {
    const keys = stack.host.keys;
    expect(keys).toBeDefined();
    expect((await call(stack, 'rejected')).status).toBe(401);
    expect((await call(stack, 'rejected', { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    const functionKey = Object.values(keys?.functionKeys ?? {})[0] ?? '';
    const keyed = await call(stack, 'rejected', { headers: { 'x-functions-key': functionKey } });
    expect(keyed.status, keyed.text()).toBe(200);
    expect(keyed.json()).toEqual({ items: [], counts: {} });
    const byCode = await call(stack, `rejected?code=${encodeURIComponent(keys?.master ?? '')}&limit=1`);
    expect(byCode.status).toBe(200);
    // Anonymous, as before.
    expect((await call(stack, 'status/unknown-id')).status).toBe(404);
  });

  it('the retention timer runs through the admin API with the master key only', async () => {
    const run = (headers: Record<string, string>) =>
      fetch(`${stack.url}/admin/functions/retentionTimer`, { method: 'POST', body: '{}', headers });
    expect((await run({})).status).toBe(401);
    expect((await run({ 'x-functions-key': Object.values(stack.host.keys?.functionKeys ?? {})[0] ?? '' })).status).toBe(401);
    expect((await run({ 'x-functions-key': stack.host.keys?.master ?? '' })).status).toBe(202);
  });
});
