// The gateway with the demo backend (scripts/demo-backend.ts) answering over the blob channel,
// as `npm start` + `npm run backend` run it: one request, then 200 sync callers at once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { type DemoReply, dispatched, expectEachAnsweredWithItsOwnReply, readBlobs, submit, uniqueOperation } from './gateway-client.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({
    backend: { delayMs: 0, intervalMs: 50 },
    // 200 callers on a 2-core machine: a wait long enough for the last of them, and status
    // polls at a realistic pace (each poll is an HTTP round trip to the Durable API).
    settings: { GATEWAY_SYNC_WAIT_SECONDS: '100', GATEWAY_MAX_SYNC_WAIT_SECONDS: '120', GATEWAY_POLL_INTERVAL_MS: '250' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

/** Requests the demo backend has answered, by request id: the bodies it was sent. */
async function handled(operation: string): Promise<Map<string, Buffer>> {
  const blobs = await readBlobs(stack, 'requests-handled', { where: (m) => m.operation === operation });
  for (const blob of blobs) expect(blob.metadata.answeredat).toBeTruthy();
  return new Map(blobs.map((blob) => [blob.name, blob.body]));
}

describe('the demo backend', () => {
  it('answers a JSON request with an echo and moves the request to requests-handled', async () => {
    const operation = uniqueOperation('demo');
    const answer = await submit(stack, operation, '{"hello":"backend"}');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const body = answer.json<DemoReply>();
    expect(body).toMatchObject({ operation, echo: { hello: 'backend' } });
    expect(Number.isNaN(Date.parse(body.answeredAt))).toBe(false);

    const id = answer.headers.get('x-correlation-id') ?? '';
    expect([...(await handled(operation)).keys()]).toEqual([id]);
    expect(await dispatched(stack, operation)).toEqual([]);
  });

  it('answers other bodies with their size and content type', async () => {
    const operation = uniqueOperation('demobin');
    const answer = await submit(stack, operation, Buffer.alloc(1000, 7), { 'content-type': 'image/png' });
    expect(answer.json<DemoReply>().echo).toEqual({ bytes: 1000, contentType: 'image/png' });
  });
});

describe('200 concurrent sync requests', () => {
  it('are all answered, each with the reply to its own request', async () => {
    const operation = uniqueOperation('load');
    const nonces = Array.from({ length: 200 }, () => randomUUID());
    const answers = await Promise.all(nonces.map((nonce) => submit(stack, operation, JSON.stringify({ nonce }))));

    expectEachAnsweredWithItsOwnReply(operation, nonces, answers, await handled(operation));
  }, 120_000);
});
