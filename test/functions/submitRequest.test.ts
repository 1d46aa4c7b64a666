import { beforeEach, describe, expect, it } from 'vitest';
import { submitRequest } from '../../src/functions/submitRequest.js';
import type { GatewayRequest, ReplyEnvelope } from '../../src/gateway/contract.js';
import { requestIdFromIdempotencyKey } from '../../src/gateway/contract.js';
import { SYNC_DEADLINE_MARGIN_MS } from '../../src/gateway/submission.js';
import { FakeDurableClient } from '../gateway/fake-durable.js';
import { call, problemOf } from './http-harness.js';

const reply: ReplyEnvelope = {
  replyId: 'blob:replies/x@"0x1"',
  status: 201,
  contentType: 'application/vnd.test+json',
  body: Buffer.from('{"answer":42}').toString('base64'),
  receivedAt: '2025-01-01T00:00:02.000Z',
};

let client: FakeDurableClient;
const startedInput = (i = 0) => client.started[i]?.input as GatewayRequest;
const answerOnStart = (output: unknown, runtimeStatus = 'Completed') => {
  client.afterStart = (id) => client.set(id, { runtimeStatus, input: client.instances.get(id)?.input, output });
};
const post = (body: string, headers: Record<string, string> = {}, operation = 'echo') =>
  call(submitRequest, client, {
    method: 'POST',
    path: `/api/requests/${operation}`,
    params: { operation },
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

beforeEach(() => {
  client = new FakeDurableClient();
});

describe('submitRequest, sync', () => {
  it('answers the reply: its status, content type and exact bytes, tagged with the request id', async () => {
    answerOnStart({ outcome: 'replied', reply });
    const response = await post('{"q":1}');
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/vnd.test+json');
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('{"answer":42}');
    const id = client.started[0]?.id;
    expect(response.headers.get('x-correlation-id')).toBe(id);
    expect(startedInput()).toMatchObject({ id, operation: 'echo', method: 'POST', waitMode: 'sync', deadlineMs: 2000 + SYNC_DEADLINE_MARGIN_MS, replyTo: 'replies' });
    expect(Buffer.from(startedInput().body, 'base64').toString()).toBe('{"q":1}');
  });

  it('on expiry terminates the instance and answers 504 naming the id, without management URLs', async () => {
    const response = await post('{}');
    expect(response.status).toBe(504);
    const id = client.started[0]?.id ?? '';
    expect(client.terminated).toEqual([{ id, reason: 'sync wait expired' }]);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ type: 'urn:sync-over-async-gateway:problem:sync-wait-expired', status: 504, requestId: id });
    expect(String(problem.detail)).toContain(id);
    expect(JSON.stringify(problem)).not.toMatch(/code=|webhooks|statusQueryGetUri/);
    expect(response.headers.get('x-correlation-id')).toBe(id);
  });

  it('a reply that lands as the wait expires is still answered', async () => {
    let looks = 0;
    const getStatus = client.getStatus.bind(client);
    client.getStatus = (id) => {
      // The wait's look sees Running; the look before terminating sees the reply.
      if (++looks === 2) client.set(id, { runtimeStatus: 'Completed', output: { outcome: 'replied', reply } });
      return getStatus(id);
    };
    const response = await post('{}');
    expect(response.status).toBe(201);
    expect(client.terminated).toEqual([]);
  });

  it.each([
    [{ runtimeStatus: 'Terminated', output: 'canceled by caller' }, 409, 'request-canceled'],
    [{ runtimeStatus: 'Terminated', output: 'sync wait expired' }, 504, 'sync-wait-expired'],
    [{ runtimeStatus: 'Failed', output: 'boom' }, 502, 'processing-failed'],
    [{ runtimeStatus: 'Completed', output: { outcome: 'timedOut' } }, 504, 'reply-timed-out'],
  ])('%j → %i, never a 200 with the Durable status', async (state, status, code) => {
    answerOnStart(state.output, state.runtimeStatus);
    const response = await post('{}');
    expect(response.status).toBe(status);
    expect((await problemOf(response)).type).toBe(`urn:sync-over-async-gateway:problem:${code}`);
  });

  it('Prefer: wait=N sets the wait and is acknowledged', async () => {
    answerOnStart({ outcome: 'replied', reply });
    const response = await post('{}', { prefer: 'wait=1' });
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(startedInput().deadlineMs).toBe(1000 + SYNC_DEADLINE_MARGIN_MS);
  });

  it('GET carries the query string as the JSON input', async () => {
    answerOnStart({ outcome: 'replied', reply });
    const response = await call(submitRequest, client, { path: '/api/requests/lookup?city=Oslo&n=3', params: { operation: 'lookup' } });
    expect(response.status).toBe(201);
    expect(startedInput()).toMatchObject({ method: 'GET', contentType: 'application/json', query: { city: 'Oslo', n: '3' } });
    expect(JSON.parse(Buffer.from(startedInput().body, 'base64').toString())).toEqual({ city: 'Oslo', n: '3' });
  });
});

describe('submitRequest, async', () => {
  it('Prefer: respond-async → 202 with Location, Retry-After, Preference-Applied; nothing waited', async () => {
    const response = await post('{}', { prefer: 'respond-async' });
    const id = client.started[0]?.id ?? '';
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`http://gateway.test:7071/api/status/${id}`);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('preference-applied')).toBe('respond-async');
    expect(await response.json()).toMatchObject({ id, operation: 'echo' });
    expect(startedInput()).toMatchObject({ waitMode: 'async', deadlineMs: 3_600_000 });
    expect(client.terminated).toEqual([]);
  });

  it('respond-async, wait=N: answers the reply if it comes in time', async () => {
    answerOnStart({ outcome: 'replied', reply });
    const response = await post('{}', { prefer: 'respond-async, wait=1' });
    expect(response.status).toBe(201);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
  });

  it('respond-async, wait=N: 202 (not 504, no terminate) if it does not', async () => {
    const response = await post('{}', { prefer: 'respond-async, wait=1' });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('respond-async, wait=1');
    expect(client.terminated).toEqual([]);
  });
});

describe('submitRequest, Idempotency-Key', () => {
  it('same key and body: the same request, started once', async () => {
    const first = await post('{"a":1}', { 'idempotency-key': 'k1', prefer: 'respond-async' });
    const second = await post('{"a":1}', { 'idempotency-key': 'k1', prefer: 'respond-async' });
    const id = requestIdFromIdempotencyKey('k1');
    expect(client.started.map((s) => s.id)).toEqual([id]);
    expect(first.headers.get('location')).toBe(second.headers.get('location'));
    expect(second.headers.get('x-correlation-id')).toBe(id);
  });

  it('same key and body after completion: the same answer, not a restart (field note #13)', async () => {
    answerOnStart({ outcome: 'replied', reply });
    await post('{"a":1}', { 'idempotency-key': 'k2' });
    const again = await post('{"a":1}', { 'idempotency-key': 'k2' });
    expect(client.started).toHaveLength(1);
    expect(again.status).toBe(201);
  });

  it('same key, different body → 422', async () => {
    await post('{"a":1}', { 'idempotency-key': 'k3', prefer: 'respond-async' });
    const response = await post('{"a":2}', { 'idempotency-key': 'k3', prefer: 'respond-async' });
    expect(response.status).toBe(422);
    expect((await problemOf(response)).type).toBe('urn:sync-over-async-gateway:problem:idempotency-key-reused');
    expect(client.started).toHaveLength(1);
  });

  it('a sync caller reusing an async request does not end it on expiry', async () => {
    await post('{}', { 'idempotency-key': 'k4', prefer: 'respond-async' });
    const response = await post('{}', { 'idempotency-key': 'k4', prefer: 'wait=1' });
    expect(response.status).toBe(504);
    expect(client.terminated).toEqual([]);
  });
});

describe('submitRequest, refusals', () => {
  it.each(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])('%s → 405 with Allow', async (method) => {
    const response = await call(submitRequest, client, { method, path: '/api/requests/echo', params: { operation: 'echo' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(client.started).toEqual([]);
  });

  it.each([
    ['bad operation', () => post('{}', {}, 'bad op'), 400, 'invalid-operation'],
    ['dot-only operation', () => post('{}', {}, '..'), 400, 'invalid-operation'],
    ['malformed JSON', () => post('{"a":'), 400, 'malformed-json'],
    ['empty JSON body', () => post(''), 400, 'malformed-json'],
    ['bad Prefer', () => post('{}', { prefer: 'wait=soon' }), 400, 'invalid-prefer'],
    ['bad Idempotency-Key', () => post('{}', { 'idempotency-key': 'has space' }), 400, 'invalid-idempotency-key'],
  ])('%s → %i', async (_what, send, status, code) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect((await problemOf(response)).type).toBe(`urn:sync-over-async-gateway:problem:${code}`);
    expect(client.started).toEqual([]);
  });

  it('a body over GATEWAY_MAX_BODY_BYTES → 413', async () => {
    const response = await post(JSON.stringify('x'.repeat(1_048_577)));
    expect(response.status).toBe(413);
  });

  it('a non-JSON body is passed through untouched, not parsed', async () => {
    await call(submitRequest, client, {
      method: 'POST',
      path: '/api/requests/upload',
      params: { operation: 'upload' },
      headers: { 'content-type': 'application/octet-stream', prefer: 'respond-async' },
      body: Buffer.from([0, 255, 1, 254]),
    });
    expect(Buffer.from(startedInput().body, 'base64')).toEqual(Buffer.from([0, 255, 1, 254]));
    expect(startedInput().contentType).toBe('application/octet-stream');
  });
});
