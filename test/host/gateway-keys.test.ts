// The gateway app runs unchanged with keys enforced on the local host: its durable client
// reaches the engine (sync and async requests complete), while the management API it relies on
// refuses callers without the system key. Real host, real Azurite, real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerNext, call, nextRequest, reply, statusBecomes, submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { FUNCTIONS_REQUIRE_KEYS: 'true' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the gateway with keys enforced', () => {
  it('serves its anonymous routes, and its durable client still starts, waits and reads', async () => {
    expect(stack.host.keys).toBeDefined();
    const operation = uniqueOperation('keyed');
    const [answer] = await Promise.all([
      submit(stack, operation, '{"k": 1}'),
      answerNext(stack, operation, '{"ok": true}', { contentType: 'application/json' }),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ok: true });

    const later = uniqueOperation('keyed-async');
    const accepted = await submit(stack, later, '{}', { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const request = await nextRequest(stack, later);
    await reply(stack, request.id, '{"done": 1}', { contentType: 'application/json' });
    const done = await statusBecomes(stack, request.id, 'Completed');
    expect((await call(stack, done.headers.get('location')!)).json()).toEqual({ done: 1 });
  });

  it('answers 401 on the management API without the system key, and the instance with it', async () => {
    const operation = uniqueOperation('keyed-mgmt');
    const [, request] = await Promise.all([
      submit(stack, operation, '{}'),
      answerNext(stack, operation, '{}', { contentType: 'application/json' }),
    ]);
    const bare = await fetch(stack.management(`instances/${request.id}`));
    expect(bare.status).toBe(401);
    const systemKey = stack.host.keys!.systemKeys.durabletask_extension!;
    const keyed = await fetch(stack.management(`instances/${request.id}?code=${encodeURIComponent(systemKey)}`));
    expect(keyed.status).toBe(200);
    expect(((await keyed.json()) as { runtimeStatus: string }).runtimeStatus).toBe('Completed');
  });
});
