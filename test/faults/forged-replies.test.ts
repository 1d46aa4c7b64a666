// Forged `reply` events raised straight through the host's Durable management API, beyond the
// two cases of test/e2e/trust.test.ts (a ref into the requests container, a ref under another
// request's name): a ref to another request's real claim check, and refs that carry the
// request's own name but sit in another container or don't match the stored blob's ETag or
// size, or name a blob that is not there. Each is refused (counted in the status); the request
// keeps waiting, its backend's real reply answers it, and the planted bytes are never served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyReference } from '../../src/gateway/contract.js';
import { call, durableStatus, expectProblem, reply, statusBecomes, submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function waiting(label: string): Promise<string> {
  const answer = await submit(stack, uniqueOperation(label), '{}', { prefer: 'respond-async' });
  expect(answer.status).toBe(202);
  const id = answer.headers.get('x-correlation-id') ?? '';
  await statusBecomes(stack, id, 'AwaitingReply');
  return id;
}

async function raiseReply(id: string, ref: ReplyReference): Promise<void> {
  const response = await fetch(stack.management(`instances/${id}/raiseEvent/reply`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      replyId: `forged-${Math.random()}`,
      status: 200,
      contentType: 'application/json',
      ref,
      receivedAt: new Date().toISOString(),
    }),
  });
  expect(response.status).toBe(202);
}

async function refusedCount(id: string): Promise<number> {
  const status = JSON.parse((await durableStatus(stack, id)).raw) as { customStatus?: { refusedReplies?: number } };
  return status.customStatus?.refusedReplies ?? 0;
}

/** Plants a blob with a secret in it, as someone who can write to the account but not the app would. */
async function plant(container: string, name: string, secret: string): Promise<{ size: number; etag: string }> {
  const client = stack.blobs.getContainerClient(container);
  await client.createIfNotExists();
  const body = JSON.stringify({ secret });
  const uploaded = await client.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  return { size: Buffer.byteLength(body), etag: uploaded.etag ?? '' };
}

describe('a forged reply event', () => {
  it("pointing at another request's real claim check is refused: the request keeps waiting, nothing of the victim's leaks", async () => {
    // A victim whose reply is over GATEWAY_INLINE_REPLY_BYTES, so its answer is a claim check in reply-bodies.
    const victim = await waiting('victim');
    const secret = `victim-secret-${Math.random()}`;
    await reply(stack, victim, JSON.stringify({ secret, pad: 'x'.repeat(40_000) }));
    await statusBecomes(stack, victim, 'Completed');
    const output = (await durableStatus(stack, victim)).output as { reply?: { ref?: ReplyReference } };
    const victimRef = output.reply?.ref;
    expect(victimRef?.container).toBe('reply-bodies');

    const mine = await waiting('forger');
    await raiseReply(mine, victimRef as ReplyReference);
    await eventually(async () => ((await refusedCount(mine)) === 1 ? true : undefined), 15_000, 'the forged event to be refused');
    expect((await call(stack, `status/${mine}`)).json().status).toBe('AwaitingReply');
    const result = await call(stack, `results/${mine}`);
    expectProblem(result, 404, 'result-not-ready', mine);
    expect(result.text()).not.toContain(secret);
    // The victim still gets its own answer.
    expect((await call(stack, `results/${victim}`)).json()).toMatchObject({ secret });
  });

  it.each([
    ['in another container under its own name', 'requests', (p: { size: number; etag: string }) => p],
    [
      'in reply-bodies with an ETag that is not the stored one',
      'reply-bodies',
      (p: { size: number; etag: string }) => ({ ...p, etag: '"0x8DEADBEEF"' }),
    ],
    [
      'in reply-bodies with a size that is not the stored one',
      'reply-bodies',
      (p: { size: number; etag: string }) => ({ ...p, size: p.size + 1 }),
    ],
  ])(
    'named for the request but %s is refused: the request keeps waiting and its real reply answers it',
    async (_what, container, doctor) => {
      const id = await waiting('forged-own');
      const secret = `planted-${Math.random()}`;
      const planted = await plant(container, `${id}/planted`, secret);
      await raiseReply(id, { container, blobName: `${id}/planted`, ...doctor(planted) });
      // The orchestrator checks container and name itself; the checkClaimCheck activity, ETag and size.
      await eventually(async () => ((await refusedCount(id)) === 1 ? true : undefined), 20_000, 'the forged event to be refused');
      const status = await call(stack, `status/${id}`);
      expect(status.json().status).toBe('AwaitingReply');
      expect(status.text()).not.toContain(secret);
      const early = await call(stack, `results/${id}`);
      expectProblem(early, 404, 'result-not-ready', id);
      expect(early.text()).not.toContain(secret);

      // The backend's real reply still answers, and nothing is set aside.
      await reply(stack, id, '{"real":true}');
      await statusBecomes(stack, id, 'Completed');
      const result = await call(stack, `results/${id}`);
      expect(result.status).toBe(200);
      expect(result.json()).toEqual({ real: true });
      expect(result.text()).not.toContain(secret);
      expect((await call(stack, `rejected?requestId=${id}`)).json<{ items: unknown[] }>().items).toEqual([]);
    },
  );

  it('whose claim check is a large reply of its own that is no longer there is refused; a later real reply answers', async () => {
    // The request's genuine claim-check name, under a version that was never (or no longer) stored.
    const id = await waiting('forged-absent');
    await raiseReply(id, { container: 'reply-bodies', blobName: `${id}.json/0x8DEADBEEF`, size: 10, etag: '"0x8DEADBEEF"' });
    await eventually(async () => ((await refusedCount(id)) === 1 ? true : undefined), 20_000, 'the forged event to be refused');
    const large = JSON.stringify({ real: true, pad: 'x'.repeat(40_000) });
    await reply(stack, id, large);
    await statusBecomes(stack, id, 'Completed');
    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(200);
    expect(result.text()).toBe(large);
  });
});
