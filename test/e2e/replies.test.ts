// Reply intake over real blobs: a reply that cannot be delivered (duplicate, unknown, malformed,
// the loser of a race) is set aside with its reason and its bytes, never dropped and never
// allowed to replace an answer; a reply too large for Durable state travels by reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import {
  answerNext,
  call,
  durableStatus,
  nextRequest,
  readBlobs,
  reply,
  replyExists,
  setAside,
  submit,
  uniqueOperation,
} from './gateway-client.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A sync request answered with `body`; resolves with its id once the caller has the answer. */
async function answered(body: string, name?: (id: string) => string): Promise<string> {
  const operation = uniqueOperation('answered');
  const [answer, request] = await Promise.all([
    submit(stack, operation),
    nextRequest(stack, operation).then(async (r) => {
      await reply(stack, r.id, body, { name: name?.(r.id) ?? r.id });
      return r;
    }),
  ]);
  expect(answer.status).toBe(200);
  expect(answer.text()).toBe(body);
  return request.id;
}

describe('replies that cannot be delivered', () => {
  it('a second reply to an answered request is set aside as duplicate; the answer stays the first', async () => {
    const id = await answered('{"first":true}', (i) => `${i}.json`);
    // Delivered inline: the blob is removed so the trigger's container stays small.
    await eventually(async () => ((await replyExists(stack, `${id}.json`)) ? undefined : true), 5_000, 'the delivered reply blob to go');

    const second = Buffer.from('<second/>');
    await reply(stack, id, second, { name: `${id}.xml`, contentType: 'application/xml', status: 500 });
    const [aside] = await setAside(stack, `${id}.xml`);
    expect(aside?.metadata).toMatchObject({ reason: 'duplicate', originalname: `${id}.xml`, status: '500' });
    expect(aside?.metadata.detail).toContain(`${id}.json`);
    expect(aside?.body.equals(second)).toBe(true);

    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(200);
    expect(result.text()).toBe('{"first":true}');
  });

  // A reply passed by reference must not be replaceable by the backend that wrote it.
  it('a second reply under the same name as a large answer is set aside; the answer stays', async () => {
    const large = Buffer.alloc(Number(stack.settings.GATEWAY_INLINE_REPLY_BYTES) + 1, 0x41);
    const operation = uniqueOperation('overwrite');
    const [answer, { id }] = await Promise.all([
      submit(stack, operation),
      answerNext(stack, operation, large, { contentType: 'text/plain' }),
    ]);
    expect(answer.body.equals(large)).toBe(true);

    await reply(stack, id, 'second', { contentType: 'text/plain' });
    const [aside] = await setAside(stack, id);
    expect(aside?.metadata.reason).toBe('duplicate');
    expect(aside?.body.toString()).toBe('second');
    const result = await call(stack, `results/${id}`);
    expect(result.status, result.text()).toBe(200);
    expect(result.body.equals(large)).toBe(true);
  });

  it('two replies landing together: the caller gets one, the other is set aside as duplicate', async () => {
    const operation = uniqueOperation('race');
    const waiting = submit(stack, operation);
    const { id } = await nextRequest(stack, operation);
    await Promise.all([
      reply(stack, id, 'json reply', { name: `${id}.json`, contentType: 'text/plain' }),
      reply(stack, id, 'txt reply', { name: `${id}.txt`, contentType: 'text/plain' }),
    ]);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    const loser = answer.text() === 'json reply' ? `${id}.txt` : `${id}.json`;
    expect(['json reply', 'txt reply']).toContain(answer.text());
    const [aside] = await setAside(stack, loser);
    expect(aside?.metadata.reason).toBe('duplicate');
    expect(aside?.body.toString()).toBe(loser.endsWith('.txt') ? 'txt reply' : 'json reply');
    expect((await call(stack, `results/${id}`)).text()).toBe(answer.text());
  });

  it('a reply for a request that never existed is set aside as unknown after the grace period', async () => {
    const id = 'never-started-0001';
    const sent = Date.now();
    await reply(stack, id, '{"to":"nobody"}');
    const [aside] = await setAside(stack, id);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(Number(stack.settings.GATEWAY_REPLY_GRACE_MS));
    expect(aside?.metadata).toMatchObject({ reason: 'unknown-request', originalcontainer: 'replies', originalname: id });
    expect(aside?.body.toString()).toBe('{"to":"nobody"}');
    // Setting aside copies, then deletes: the original goes just after the copy appears.
    await eventually(async () => ((await replyExists(stack, id)) ? undefined : true), 5_000, 'the set-aside reply blob to go');
  });

  it.each([
    ['a name that is not a request id', 'not_an_id.json', '{}', {}],
    ['a name in a virtual folder', 'folder/abc.json', '{}', {}],
    ['a status that is not an HTTP status', 'bad-status-0001', '{}', { status: 'soon' }],
    ['an empty reply without a status', 'empty-reply-0001', '', {}],
  ])('%s is set aside as malformed', async (_what, name, body, metadata) => {
    const replies = stack.blobs.getContainerClient('replies');
    await replies.createIfNotExists();
    await replies
      .getBlockBlobClient(name)
      .upload(body, body.length, { metadata, blobHTTPHeaders: { blobContentType: 'application/json' } });
    const [aside] = await setAside(stack, name);
    expect(aside?.metadata).toMatchObject({ reason: 'malformed', originalname: name, ...metadata });
    expect(aside?.body.toString()).toBe(body);
  });
});

describe('replies too large for Durable state', () => {
  it.each([
    ['at the inline limit travels inside Durable state', 0, 'body'],
    ['one byte over it travels by reference', 1, 'ref'],
  ])('a reply %s', async (_what, extra, carried) => {
    const body = Buffer.alloc(Number(stack.settings.GATEWAY_INLINE_REPLY_BYTES) + extra, 0x5a);
    const operation = uniqueOperation('limit');
    const [answer, { id }] = await Promise.all([
      submit(stack, operation),
      answerNext(stack, operation, body, { contentType: 'text/plain' }),
    ]);
    expect(answer.body.equals(body)).toBe(true);
    const { reply: envelope } = (await durableStatus(stack, id)).output as { reply: Record<string, unknown> };
    expect(Object.keys(envelope)).toContain(carried);
  });

  it('a 5 MB binary reply is answered byte for byte, sync and from results, by reference', async () => {
    // Deterministic bytes (a fixed LCG), so every run scans and compares the same body.
    const big = Buffer.alloc(5 * 1024 * 1024);
    let x = 12345;
    for (let i = 0; i < big.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      big[i] = x >>> 24;
    }
    const operation = uniqueOperation('big');
    const [answer, request] = await Promise.all([
      submit(stack, operation),
      answerNext(stack, operation, big, { contentType: 'application/octet-stream' }),
    ]);
    const { id } = request;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/octet-stream');
    expect(answer.body.equals(big)).toBe(true);

    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(200);
    expect(result.body.equals(big)).toBe(true);

    // Durable state holds a reference, not the body: a claim check in the reply-bodies
    // container (where no backend writes); the reply blob itself is removed once delivered.
    const durable = await durableStatus(stack, id);
    expect(durable.runtimeStatus).toBe('Completed');
    expect(durable.raw.length).toBeLessThan(4096);
    expect(durable.output).toMatchObject({ outcome: 'replied', reply: { ref: { container: 'reply-bodies', size: big.length } } });
    const [claimCheck, ...others] = await readBlobs(stack, 'reply-bodies', { prefix: `${id}/` });
    expect(others).toEqual([]);
    expect(claimCheck?.body.equals(big)).toBe(true);
    await eventually(async () => ((await replyExists(stack, id)) ? undefined : true), 5_000, 'the delivered reply blob to go');
  });
});
