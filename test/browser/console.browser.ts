// The console in a real browser (headless Chromium from Debian's package, driven by playwright-core)
// against the real local stack: the page sees a pending request appear, a tester answers it
// through the form, and the blocked caller receives exactly that answer. It also takes the
// README's screenshot (docs/console.png). Run with `npm run test:browser`; `npm test` never
// loads this file.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callGateway } from '../../src/client/index.js';
import { reply, statusBecomes, submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { type RunningChromium, startChromium } from './chromium.js';

const SCREENSHOT = join(__dirname, '../../docs/console.png');

let stack: GatewayStack;
let chrome: RunningChromium;

beforeAll(async () => {
  stack = await startGatewayStack();
  chrome = await startChromium();
});
afterAll(async () => {
  await chrome?.stop();
  await stack?.stop();
});

/** A page on the console that records the script errors it raises. */
async function openConsole(viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await chrome.browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(stack.api('console'));
  return { page, errors };
}

describe('the console in Chromium', () => {
  let answeredId = '';

  it('shows a pending request, answers it through the form, and the blocked caller receives that answer', async () => {
    // Something in every list first (a stray reply for no request, one request answered, one
    // whose sync wait ran out), so the screenshot shows what the console is for.
    await reply(stack, randomUUID(), '{"stray": true}');
    const earlier = await submit(stack, uniqueOperation('report'), '{}', { prefer: 'respond-async' });
    const earlierId = earlier.headers.get('x-correlation-id') ?? '';
    await reply(stack, earlierId, '{"rows": 3}');
    await statusBecomes(stack, earlierId, 'Completed');
    expect((await submit(stack, uniqueOperation('lookup'), '{}', { prefer: 'wait=1' })).status).toBe(504);

    const { page, errors } = await openConsole({ width: 1100, height: 860 });
    await page.locator(`#finished tr[data-id="${earlierId}"]`, { hasText: '200 Completed' }).waitFor();

    const operation = uniqueOperation('quote');
    let settled = false;
    const caller = callGateway(stack.url, operation, { order: 42 }, { wait: 60 }).finally(() => {
      settled = true;
    });
    const row = page.locator('#pending tbody tr', { hasText: operation });
    await row.waitFor({ timeout: 30_000 });
    const id = (await row.getAttribute('data-id')) ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => row.locator('td[data-label="Mode"]').textContent()).toBe('sync');

    await row.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(() => page.locator('#answer-id').textContent()).toBe(id);
    await page.fill('#reply-body', '{"price": 9.5}');
    await page.fill('#reply-status', '201');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The caller is still held: only the form's reply can answer it.
    expect(settled).toBe(false);

    await page.click('#reply-send');
    await expect.poll(() => page.locator('#reply-result').textContent()).toContain(`replies/${id}.json`);
    const answer = await caller;
    expect(answer.mode).toBe('sync');
    expect(answer.requestId).toBe(id);
    expect(answer.status).toBe(201);
    expect(answer.contentType).toBe('application/json');
    expect(answer.text()).toBe('{"price": 9.5}');

    // The next poll moves it from pending to finished, with the backend's status.
    await page.locator(`#finished tr[data-id="${id}"]`, { hasText: '201 Completed' }).waitFor();
    expect(await page.locator(`#pending tr[data-id="${id}"]`).count()).toBe(0);
    expect(errors).toEqual([]);
    answeredId = id;
    await page.close();
  });

  it('lists set-aside replies with their reason, or says plainly that the gateway has none to list', async () => {
    expect(answeredId).not.toBe('');
    const { page, errors } = await openConsole({ width: 1100, height: 860 });
    const listing = await fetch(stack.api('rejected'));
    if (listing.status === 404) {
      // A gateway without GET /api/rejected: the section says so and the rest still works.
      await expect.poll(() => page.locator('#rejected-empty').textContent()).toContain('answered 404');
      expect(await page.locator('#rejected-empty').isVisible()).toBe(true);
      expect(await page.locator('#rejected-count').textContent()).toBe('–');
    } else {
      // A second reply for the answered request comes too late: it is set aside, and listed.
      await reply(stack, answeredId, '{"again": true}', { name: `${answeredId}.json` });
      const row = page.locator('#rejected tbody tr', { has: page.locator(`td[data-id="${answeredId}"]`) });
      await row.waitFor({ timeout: 30_000 });
      expect((await row.locator('td[data-label="Reason"]').textContent())?.length).toBeGreaterThan(0);
    }
    expect(await page.locator('#pending-title').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the set-aside listing in the shape GET /api/rejected answers', async () => {
    // The page's drawing of that shape, whatever this branch's gateway serves: the route is
    // answered by the browser itself here (page.route). The test above reads the real route.
    const page = await chrome.browser.newPage({ viewport: { width: 1100, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const listing = {
      items: [
        {
          name: `${answeredId}.json/0x8DCAFE`,
          channel: 'blob',
          reason: 'late',
          description: 'the request had already finished',
          requestId: answeredId,
          receivedAt: new Date().toISOString(),
          size: 15,
          contentType: 'application/json',
        },
        {
          name: 'message 42',
          channel: 'servicebus',
          reason: 'malformed',
          description: 'not UTF-8 JSON',
          receivedAt: new Date().toISOString(),
          size: 3,
        },
      ],
      continuation: 'next-page',
      counts: { late: 1, malformed: 1 },
    };
    await page.route('**/api/rejected', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(listing) }),
    );
    await page.goto(stack.api('console'));
    const rows = page.locator('#rejected tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).locator('td[data-label="Reason"]').textContent()).toBe('late');
    expect(await rows.nth(0).locator('td[data-label="Reason"]').getAttribute('title')).toBe('the request had already finished');
    expect(await rows.nth(0).locator(`td[data-id="${answeredId}"]`).count()).toBe(1);
    expect(await rows.nth(1).locator('td[data-label="Channel"]').textContent()).toBe('servicebus');
    expect(await page.locator('#rejected-count').textContent()).toBe('2+');
    expect(await page.locator('#rejected-reasons').textContent()).toBe('late: 1 · malformed: 1');
    expect(await page.locator('#rejected-empty').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is readable on a phone: no sideways scrolling, rows become labelled cards', async () => {
    const { page, errors } = await openConsole({ width: 390, height: 844 });
    await page.locator(`#finished tr[data-id="${answeredId}"]`).waitFor();
    const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(width.scroll).toBeLessThanOrEqual(width.viewport);
    expect(await page.locator('#finished thead').isVisible()).toBe(false);
    const label = await page
      .locator(`#finished tr[data-id="${answeredId}"] td[data-label="Latency"]`)
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"Latency"');
    expect(errors).toEqual([]);
    await page.close();
  });
});
