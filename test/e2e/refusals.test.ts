// Every input the gateway refuses, over real HTTP: each answer is problem+json with a stable
// `type`, carries the request id where one exists, and nothing is dispatched for it. And no
// answer, refusal or not, names a Durable management URL or key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { call, dispatched, expectProblem, location, nextRequest, submit, uniqueOperation } from './gateway-client.js';

const MAX_BODY_BYTES = 4096;

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { GATEWAY_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('POST /api/requests/{operation} refuses', () => {
  it.each([
    ['malformed JSON', '{"a":', 'application/json'],
    ['malformed JSON under a +json type', '[1,', 'application/vnd.acme+json; charset=utf-8'],
    ['an empty JSON body', '', 'application/json'],
    ['JSON that is not UTF-8', Buffer.from([0x22, 0xff, 0x22]), 'application/json'],
  ])('%s: 400 malformed-json', async (_what, body, contentType) => {
    const operation = uniqueOperation('badjson');
    const answer = await submit(stack, operation, body, { 'content-type': contentType });
    expectProblem(answer, 400, 'malformed-json');
    expect(answer.headers.get('x-correlation-id')).toBeNull();
    expect(await dispatched(stack, operation)).toEqual([]);
  });

  it.each(['PUT', 'PATCH', 'DELETE', 'OPTIONS'])('%s: 405 with Allow', async (method) => {
    const answer = await call(stack, `requests/${uniqueOperation('method')}`, { method, body: method === 'OPTIONS' ? undefined : '{}' });
    expectProblem(answer, 405, 'method-not-allowed');
    expect(answer.headers.get('allow')).toBe('GET, POST');
  });

  it('HEAD: 405 with Allow (and no body, as HEAD has none)', async () => {
    const answer = await call(stack, `requests/${uniqueOperation('head')}`, { method: 'HEAD' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
  });

  it.each([
    ['an invalid operation', 'bad%20op', {}, 'invalid-operation'],
    ['a dot-only operation', '...', {}, 'invalid-operation'],
    ['a Prefer wait that is not a number', 'op', { prefer: 'wait=soon' }, 'invalid-prefer'],
    ['a Prefer with an unterminated quote', 'op', { prefer: 'respond-async; foo="bar' }, 'invalid-prefer'],
    ['an Idempotency-Key with spaces', 'op', { 'idempotency-key': 'has space' }, 'invalid-idempotency-key'],
  ])('%s: 400', async (_what, operation, headers, code) => {
    const answer = await submit(stack, operation, '{}', headers);
    expectProblem(answer, 400, code);
    expect(answer.headers.get('x-correlation-id')).toBeNull();
  });

  it(`a body over GATEWAY_MAX_BODY_BYTES (${MAX_BODY_BYTES}): 413, declared or streamed; exactly the limit passes`, async () => {
    const operation = uniqueOperation('size');
    const tooLarge = Buffer.alloc(MAX_BODY_BYTES + 1, 0x61);
    expectProblem(await submit(stack, operation, tooLarge, { 'content-type': 'text/plain' }), 413, 'payload-too-large');
    // Chunked, so no Content-Length: the limit must hold on the bytes actually read.
    const streamed = await fetch(stack.api(`requests/${operation}`), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new Blob([tooLarge]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { type: string }).type).toContain('payload-too-large');
    expect(await dispatched(stack, operation)).toEqual([]);

    const atLimit = await submit(stack, operation, tooLarge.subarray(1), { 'content-type': 'text/plain', prefer: 'respond-async' });
    expect(atLimit.status).toBe(202);
    expect((await nextRequest(stack, operation)).body.length).toBe(MAX_BODY_BYTES);
  });
});

describe('a method a route does not take', () => {
  it.each([
    ['status/x', 'POST', 'GET, DELETE'],
    ['status/x', 'PUT', 'GET, DELETE'],
    ['results/x', 'DELETE', 'GET'],
    ['results/x', 'POST', 'GET'],
    ['console', 'POST', 'GET'],
    ['console/requests/x/reply', 'GET', 'POST'],
    ['rejected', 'DELETE', 'GET'],
    ['rejected/x/replay', 'GET', 'POST'],
  ])('%s %s: 405 problem with Allow: %s (not the host’s empty 404)', async (route, method, allow) => {
    const answer = await call(stack, route, { method, body: method === 'GET' ? undefined : '{}' });
    expectProblem(answer, 405, 'method-not-allowed');
    expect(answer.headers.get('allow')).toBe(allow);
  });
});

describe('request ids in routes', () => {
  const invalid = [
    ['a path traversal', '..%2Fx'],
    ['dots only', '...'],
    ['65 characters', 'a'.repeat(65)],
    ['a dot', 'a.b'],
    ['a space', 'a%20b'],
    ['a non-ASCII letter', '%C3%A9t%C3%A9'],
    ['an encoded NUL', 'a%00b'],
  ];
  it.each(invalid)('%s: 400 invalid-request-id from status, results and cancel, id not echoed', async (_what, id) => {
    for (const [method, route] of [
      ['GET', 'status'],
      ['GET', 'results'],
      ['DELETE', 'status'],
    ] as const) {
      const answer = await call(stack, `${route}/${id}`, { method });
      expectProblem(answer, 400, 'invalid-request-id');
      expect(answer.headers.get('x-correlation-id')).toBeNull();
      expect(answer.json().requestId).toBeUndefined();
    }
  });

  it('64 characters of the allowed alphabet is a valid id (404 for an unknown one, tagged with it)', async () => {
    const id = `A-z0-9-${'x'.repeat(57)}`;
    expectProblem(await call(stack, `status/${id}`), 404, 'request-not-found', id);
  });
});

describe('management URLs', () => {
  // call() checks every answer in every e2e file; these are the answers Durable's own helpers
  // would have filled with management URLs and the system key (docs/field-notes.md#n1, docs/field-notes.md#n2).
  it('appear in none of the answers Durable would put them in: 202, 504, the status resource', async () => {
    const operation = uniqueOperation('leaks');
    const accepted = await submit(stack, operation, '{}', { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const id = accepted.headers.get('x-correlation-id') ?? '';
    expect(accepted.headers.get('location')).toBe(location('status', id));
    expect(Object.keys(accepted.json()).sort()).toEqual(['createdAt', 'id', 'operation']);

    const status = await call(stack, `status/${id}`);
    expect(status.status).toBe(200);
    expect(Object.keys(status.json()).sort()).toEqual(['createdAt', 'id', 'operation', 'status', 'updatedAt']);

    const expired = await submit(stack, uniqueOperation('leaks'), '{}', { prefer: 'wait=1' });
    expect(expired.status).toBe(504);
    expect(Object.keys(expired.json()).sort()).toEqual(['detail', 'instance', 'requestId', 'status', 'title', 'type']);
  });
});
