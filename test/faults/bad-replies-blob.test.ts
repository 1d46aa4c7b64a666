// Bad replies of every kind on the blob channel, all at once beside good ones: unknown ids,
// names that are no request id, bad `status` metadata, empty bodies without a status, JSON
// that is not JSON or not UTF-8, a duplicate, a late one. Each is set aside with its reason and
// counted by GET /api/rejected; the good replies (one of them 2 MB, by claim check) answer their
// requests; none is lost: the replies container ends empty. Each kind alone is in
// test/e2e/replies.test.ts and rejected.test.ts; this is the batch and the count.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlobs, reply } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import { expectSetAsideExactly, setTheScene } from './bad-replies.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A reply blob exactly as given (metadata unchecked), as a misbehaving backend writes it. */
async function put(name: string, body: string | Buffer, contentType: string, metadata: Record<string, string> = {}): Promise<void> {
  const replies = stack.blobs.getContainerClient('replies');
  await replies.createIfNotExists();
  await replies
    .getBlockBlobClient(name)
    .upload(body, Buffer.byteLength(body), { metadata, blobHTTPHeaders: { blobContentType: contentType } });
}

describe('bad replies on the blob channel', () => {
  it('are set aside with a reason and counted, the good ones answer, none is lost', async () => {
    const scene = await setTheScene(stack, (id, body, contentType) => reply(stack, id, body, { contentType }));
    const { badStatus, empty, notUtf8, notJson, answeredTwice, canceled } = scene.targets;

    await Promise.all([
      // unknown-request ×3 (after the grace period)
      ...Array.from({ length: 3 }, () => put(`${randomUUID()}.json`, '{}', 'application/json')),
      // malformed ×6: not a request id, a folder, a status that is none, empty without status, bytes that aren't their JSON
      put('not_an_id!.json', '{}', 'application/json'),
      put(`${badStatus}/nested.json`, '{}', 'application/json'),
      put(`${badStatus}.json`, '{}', 'application/json', { status: '99' }),
      put(`${empty}.json`, '', 'application/json'),
      put(`${notUtf8}.json`, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json'),
      put(`${notJson}.json`, '{"a":', 'application/vnd.acme+json'),
      // duplicate ×1, late ×1
      put(`${answeredTwice}.second`, '{"second":true}', 'application/json'),
      put(`${canceled}.json`, '{"late":true}', 'application/json'),
    ]);
    const list = await expectSetAsideExactly(stack, { 'unknown-request': 3, malformed: 6, duplicate: 1, late: 1 });
    expect(new Set(list.items.map((i) => i.channel))).toEqual(new Set(['blob']));
    for (const item of list.items.filter((i) => i.reason === 'late' || i.reason === 'duplicate'))
      expect([canceled, answeredTwice]).toContain(item.requestId);

    await scene.answerTheRest(2 * 1024 * 1024);
    // Nothing left behind: every reply blob was delivered or moved aside.
    await eventually(
      async () => ((await readBlobs(stack, 'replies')).length === 0 ? true : undefined),
      15_000,
      'the replies container to empty',
    );
  }, 90_000);
});
