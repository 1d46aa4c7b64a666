// The console with keys enforced, as on Azure (authLevel 'function'): without a key the page is
// refused; opened with ?code=<function key> it passes the key on to every call it makes, so it
// lists a pending request and answers it. Real host with FUNCTIONS_REQUIRE_KEYS, real Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, statusBecomes, submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { type RunningChromium, startChromium } from './chromium.js';

let stack: GatewayStack;
let chrome: RunningChromium;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { FUNCTIONS_REQUIRE_KEYS: 'true' } });
  chrome = await startChromium();
});
afterAll(async () => {
  await chrome?.stop();
  await stack?.stop();
});

describe('the console with keys enforced', () => {
  it('refuses every console route without a function key', async () => {
    expect((await fetch(stack.api('console'))).status).toBe(401);
    expect((await fetch(stack.api('console/requests'))).status).toBe(401);
    const reply = await fetch(stack.api('console/requests/any/reply'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"body":"{}"}',
    });
    expect(reply.status).toBe(401);
  });

  it('works opened with ?code=: it lists a pending request and answers it with the key passed on', async () => {
    const key = stack.host.keys?.functionKeys.default ?? '';
    expect(key).not.toBe('');
    const operation = uniqueOperation('keyed-console');
    const accepted = await submit(stack, operation, '{}', { prefer: 'respond-async' });
    const id = accepted.headers.get('x-correlation-id') ?? '';

    const page = await chrome.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${stack.api('console')}?code=${encodeURIComponent(key)}`);
    const row = page.locator(`#pending tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Answer' }).click();
    await page.fill('#reply-body', '{"keyed": true}');
    await page.click('#reply-send');
    await expect.poll(() => page.locator('#reply-result').textContent()).toContain(`replies/${id}.json`);

    const done = await statusBecomes(stack, id, 'Completed');
    expect((await call(stack, done.headers.get('location') ?? '')).json()).toEqual({ keyed: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
