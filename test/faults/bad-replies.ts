// What the bad-reply tests of both channels check at the end: the rejected-replies API
// (GET /api/rejected) counts exactly the replies that were sent bad, by reason, each naming
// its request where it had a valid one; and every good request was answered with its own reply.
import { expect } from 'vitest';
import type { RejectedList } from '../../src/gateway/rejected/rejected-item.js';
import { call, statusBecomes } from '../e2e/gateway-client.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';

/** Waits until the list counts `expected` by reason (never more), then answers the list. */
export async function expectSetAsideExactly(stack: GatewayStack, expected: Record<string, number>): Promise<RejectedList> {
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  const list = await eventually(
    async () => {
      const page = (await call(stack, 'rejected?limit=100')).json<RejectedList>();
      return page.items.length >= total ? page : undefined;
    },
    30_000,
    `${total} replies to be set aside`,
  );
  // A moment for any reply set aside twice, or wrongly, to show up too.
  await new Promise((r) => setTimeout(r, 1_500));
  const settled = (await call(stack, 'rejected?limit=100')).json<RejectedList>();
  expect(settled.counts).toEqual(expected);
  expect(settled.items).toHaveLength(total);
  for (const item of settled.items) expect(item.description, JSON.stringify(item)).not.toBe('');
  return list;
}

/** The good requests: each completed with exactly the body its own reply carried. */
export async function expectAnswered(stack: GatewayStack, answers: Map<string, Buffer>): Promise<void> {
  for (const [id, body] of answers) {
    await statusBecomes(stack, id, 'Completed');
    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(200);
    expect(result.body.equals(body), `the result of ${id}`).toBe(true);
  }
}
