// What the gateway trusts, over real HTTP against the local host, Azurite and the real Durable
// SDK: a forged `reply` event (raised through the host's management API, as anyone who reaches
// it could) never makes a result stream a blob the gateway did not make for that request; a
// suspended request says so, and its reply is held rather than poisoned; Location never echoes
// the Host header; Idempotency-Key ids need the gateway's secret; a JSON reply must be JSON.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import {
  call,
  expectProblem,
  idForKey,
  location,
  nextRequest,
  readBlobs,
  reply,
  replyExists,
  setAside,
  statusBecomes,
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

const ASYNC = { prefer: 'respond-async' };

async function acceptedId(operation: string, body: string): Promise<string> {
  const answer = await submit(stack, operation, body, ASYNC);
  expect(answer.status, answer.text()).toBe(202);
  return answer.headers.get('x-correlation-id') ?? '';
}

async function raiseReply(id: string, payload: unknown): Promise<void> {
  const response = await fetch(stack.management(`instances/${id}/raiseEvent/reply`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(202);
}

describe('a forged reply event', () => {
  it("whose claim check points at another request's blob is refused: the result never streams it", async () => {
    const operation = uniqueOperation('forged');
    const secret = `{"card":"4111-1111-1111-1111","nonce":"${Math.random()}"}`;
    const victim = await acceptedId(operation, secret);
    const victimBlob = await nextRequest(stack, operation);
    expect(victimBlob.id).toBe(victim);
    const props = await stack.blobs.getContainerClient('requests').getBlobClient(victim).getProperties();

    const mine = await acceptedId(uniqueOperation('forger'), '{}');
    await statusBecomes(stack, mine, 'AwaitingReply');
    const forged = (container: string, blobName: string) => ({
      replyId: 'forged',
      status: 200,
      contentType: 'application/json',
      ref: { container, blobName, size: props.contentLength, etag: props.etag },
      receivedAt: new Date().toISOString(),
    });
    await raiseReply(mine, forged('requests', victim));
    // Into the right container but under another request's name: refused too.
    await raiseReply(mine, forged('reply-bodies', `${victim}/x`));
    // Under its own name in reply-bodies, but not the blob stored there (another ETag): the
    // checkClaimCheck activity looks, and refuses it too.
    const bodies = stack.blobs.getContainerClient('reply-bodies');
    await bodies.createIfNotExists();
    const planted = bodies.getBlockBlobClient(`${mine}/planted`);
    await planted.upload(secret, Buffer.byteLength(secret));
    await raiseReply(mine, {
      ...forged('reply-bodies', `${mine}/planted`),
      ref: { container: 'reply-bodies', blobName: `${mine}/planted`, size: Buffer.byteLength(secret), etag: '"0x8DEADBEEF"' },
    });

    await eventually(
      async () => {
        const status = (await (await fetch(stack.management(`instances/${mine}`))).json()) as {
          customStatus?: { refusedReplies?: number };
        };
        return status.customStatus?.refusedReplies === 3 ? true : undefined;
      },
      15_000,
      'all three forged events to be refused',
    );
    const status = await call(stack, `status/${mine}`);
    expect(status.json().status).toBe('AwaitingReply');
    const result = await call(stack, `results/${mine}`);
    expectProblem(result, 404, 'result-not-ready', mine);
    expect(result.text()).not.toContain('4111');

    // The real reply still answers the request.
    await reply(stack, mine, '{"real":true}');
    await statusBecomes(stack, mine, 'Completed');
    const real = await call(stack, `results/${mine}`);
    expect(real.status).toBe(200);
    expect(real.json()).toEqual({ real: true });
    expect(real.text()).not.toContain('4111');
  });
});

describe('a suspended request', () => {
  it('reports Suspended; its reply is held (not poisoned, not set aside) and answers once resumed', async () => {
    const operation = uniqueOperation('suspended');
    const id = await acceptedId(operation, '{}');
    await statusBecomes(stack, id, 'AwaitingReply');
    expect((await fetch(stack.management(`instances/${id}/suspend?reason=ops`), { method: 'POST' })).status).toBe(202);
    const suspended = await statusBecomes(stack, id, 'Suspended');
    expect(suspended.headers.get('retry-after')).toBe('1');

    await reply(stack, id, '{"held":true}');
    await eventually(async () => ((await replyExists(stack, id)) ? undefined : true), 15_000, 'the reply blob to be taken');
    expect(await readBlobs(stack, 'replies-rejected', { prefix: `${id}/` })).toEqual([]);
    expect((await call(stack, `status/${id}`)).json().status).toBe('Suspended');

    expect((await fetch(stack.management(`instances/${id}/resume?reason=ops`), { method: 'POST' })).status).toBe(202);
    await statusBecomes(stack, id, 'Completed');
    expect((await call(stack, `results/${id}`)).json()).toEqual({ held: true });
  });
});

describe('Location', () => {
  it('is relative and never built from the Host header', async () => {
    const answer = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        `${stack.api(`requests/${uniqueOperation('host')}`)}`,
        { method: 'POST', headers: { host: 'evil.example', prefer: 'respond-async', 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(answer.status).toBe(202);
    expect(answer.location).toMatch(/^\/api\/status\/[0-9a-f-]+$/);
    expect(answer.location).not.toContain('evil');
  });
});

describe('Idempotency-Key ids', () => {
  it('are an HMAC under the secret kept in storage, not a public hash of the key', async () => {
    const key = `hmac-${Math.random()}`;
    const answer = await submit(stack, uniqueOperation('hmac'), '{}', { ...ASYNC, 'idempotency-key': key });
    const id = answer.headers.get('x-correlation-id') ?? '';
    expect(answer.headers.get('location')).toBe(location('status', id));
    expect(id).toBe(await idForKey(stack, key));
    const publicHash = createHash('sha256').update(`idempotency-key\n${key}`, 'utf8').digest('hex');
    expect(id.replace(/-/g, '')).not.toBe(publicHash.slice(0, 32));
    const stored = await stack.blobs.getContainerClient('gateway').getBlobClient('idempotency-key-secret').downloadToBuffer();
    expect(stored.length).toBe(32);
  });
});

describe('a reply whose bytes do not match its content type', () => {
  it('is set aside as malformed (JSON that is not UTF-8), the request keeps waiting', async () => {
    const id = await acceptedId(uniqueOperation('badjson'), '{}');
    await statusBecomes(stack, id, 'AwaitingReply');
    await reply(stack, id, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), { contentType: 'application/json' });
    const [aside] = await setAside(stack, id);
    expect(aside?.metadata.reason).toBe('malformed');
    expect(aside?.metadata.detail).toMatch(/UTF-8 JSON/);
    expect((await call(stack, `status/${id}`)).json().status).toBe('AwaitingReply');
  });
});
