// What the bad-reply tests of both channels check at the end: the rejected-replies API
// (GET /api/rejected) counts exactly the replies that were sent bad, by reason, each naming
// its request where it had a valid one; and every good request was answered with its own reply.
// Also the requests both tests aim their replies at, and the good replies that follow the bad.
import { expect } from 'vitest';
import type { RejectedList } from '../../src/gateway/rejected/rejected-item.js';
import { call, statusBecomes, submit, uniqueOperation } from '../e2e/gateway-client.js';
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

/** The requests the bad replies name, each waiting for its reply (one canceled, one answered already). */
export interface Targets {
  big: string;
  badStatus: string;
  empty: string;
  notUtf8: string;
  notJson: string;
  answeredTwice: string;
  canceled: string;
}

/** Sends a good reply on the channel under test. */
export type SendGood = (id: string, body: Buffer, contentType: string) => Promise<void>;

export interface Scene {
  targets: Targets;
  /** Sends a good reply and remembers it for `answerTheRest`. */
  good(id: string, body: Buffer, contentType?: string): Promise<void>;
  /** The good replies for the requests the bad ones named (`big` one of `bigBytes`), then checks every good request's answer. */
  answerTheRest(bigBytes: number): Promise<void>;
}

export async function setTheScene(stack: GatewayStack, sendGood: SendGood): Promise<Scene> {
  const ids = await Promise.all(
    Array.from({ length: 7 }, async () => {
      const answer = await submit(stack, uniqueOperation('bad-replies'), '{}', { prefer: 'respond-async' });
      expect(answer.status).toBe(202);
      const id = answer.headers.get('x-correlation-id') ?? '';
      await statusBecomes(stack, id, 'AwaitingReply');
      return id;
    }),
  );
  const [big, badStatus, empty, notUtf8, notJson, answeredTwice, canceled] = ids as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const targets: Targets = { big, badStatus, empty, notUtf8, notJson, answeredTwice, canceled };
  expect((await call(stack, `status/${canceled}`, { method: 'DELETE' })).status).toBe(202);
  await statusBecomes(stack, canceled, 'Canceled');
  const answers = new Map<string, Buffer>();
  const good = async (id: string, body: Buffer, contentType = 'application/octet-stream'): Promise<void> => {
    answers.set(id, body);
    await sendGood(id, body, contentType);
  };
  await good(answeredTwice, Buffer.from('{"first":true}'), 'application/json');
  await statusBecomes(stack, answeredTwice, 'Completed');
  return {
    targets,
    good,
    async answerTheRest(bigBytes) {
      // The requests the bad replies named still wait, and their real replies answer them.
      await good(big, Buffer.alloc(bigBytes, 0x42));
      for (const id of [badStatus, empty, notUtf8, notJson]) await good(id, Buffer.from(`{"real":"${id}"}`), 'application/json');
      await expectAnswered(stack, answers);
      expect((await call(stack, `status/${canceled}`)).json().status).toBe('Canceled');
    },
  };
}
