// The asynchronous request-reply contract and Idempotency-Key, over real HTTP: 202 + Location,
// the status resource while pending and once replied (303), the result, cancel, deadlines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import {
  type Answer,
  call,
  dispatched,
  expectProblem,
  idForKey,
  location,
  nextRequest,
  reply,
  setAside,
  statusBecomes,
  submit,
  uniqueOperation,
} from './gateway-client.js';

// Async requests give up after this long; short so the deadline test is quick, long enough for
// every other test here to finish its requests well inside it.
const ASYNC_DEADLINE_SECONDS = 6;

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { GATEWAY_ASYNC_DEADLINE_SECONDS: String(ASYNC_DEADLINE_SECONDS) } });
});
afterAll(async () => {
  await stack?.stop();
});

const ASYNC = { prefer: 'respond-async' };

/** An async submit; asserts the 202 contract and answers the request id. */
async function accepted(operation: string, body = '{}', headers: Record<string, string> = {}): Promise<{ id: string; answer: Answer }> {
  const answer = await submit(stack, operation, body, { ...ASYNC, ...headers });
  expect(answer.status, answer.text()).toBe(202);
  const id = answer.headers.get('x-correlation-id') ?? '';
  expect(answer.headers.get('location')).toBe(location('status', id));
  expect(answer.headers.get('retry-after')).toBe('1');
  return { id, answer };
}

describe('Prefer: respond-async', () => {
  it('202 → status pending with Retry-After → reply → 303 to the result → the reply byte for byte', async () => {
    const operation = uniqueOperation('async');
    const { id, answer } = await accepted(operation);
    expect(answer.headers.get('preference-applied')).toBe('respond-async');
    const accepted202 = answer.json<{ id: string; operation: string; createdAt: string }>();
    expect(accepted202).toMatchObject({ id, operation });

    // Pending: 200, Retry-After, the minimal resource (no Durable payload).
    await nextRequest(stack, operation);
    const pending = await statusBecomes(stack, id, 'AwaitingReply');
    expect(pending.headers.get('retry-after')).toBe('1');
    expect(pending.headers.get('x-correlation-id')).toBe(id);
    const resource = pending.json();
    expect(Object.keys(resource).sort()).toEqual(['createdAt', 'id', 'operation', 'status', 'updatedAt']);
    expect(resource).toMatchObject({ id, operation, createdAt: accepted202.createdAt });
    expectProblem(await call(stack, `results/${id}`), 404, 'result-not-ready', id);

    const csv = 'id;name\r\n1;Ærø\r\n';
    await reply(stack, id, Buffer.from(csv, 'latin1'), { contentType: 'text/csv; charset=iso-8859-1', status: 201 });
    const done = await statusBecomes(stack, id, 'Completed');
    expect(done.headers.get('location')).toBe(location('results', id));
    expect(done.headers.get('retry-after')).toBeNull();

    const result = await call(stack, done.headers.get('location') ?? '');
    expect(result.status).toBe(201);
    expect(result.headers.get('content-type')).toBe('text/csv; charset=iso-8859-1');
    expect(result.body.equals(Buffer.from(csv, 'latin1'))).toBe(true);
    expect(result.headers.get('x-correlation-id')).toBe(id);
  });

  it('respond-async, wait=N: the reply if it comes within N seconds', async () => {
    const operation = uniqueOperation('asyncwait');
    const waiting = submit(stack, operation, '{}', { prefer: 'respond-async, wait=10' });
    const { id } = await nextRequest(stack, operation);
    await reply(stack, id, '"quick"');
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.text()).toBe('"quick"');
    expect(answer.headers.get('preference-applied')).toBe('wait=10');
  });

  it('respond-async, wait=N: 202 after N seconds, and the request keeps waiting for its reply', async () => {
    const answer = await submit(stack, uniqueOperation('asyncslow'), '{}', { prefer: 'respond-async, wait=1' });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('preference-applied')).toBe('respond-async, wait=1');
    const id = answer.headers.get('x-correlation-id') ?? '';
    await statusBecomes(stack, id, 'AwaitingReply');
    await reply(stack, id, '"later"');
    expect((await statusBecomes(stack, id, 'Completed')).status).toBe(303);
  });

  it('unknown ids: 404 from status, results and cancel', async () => {
    for (const [method, route] of [
      ['GET', 'status'],
      ['GET', 'results'],
      ['DELETE', 'status'],
    ] as const) {
      expectProblem(await call(stack, `${route}/no-such-request`, { method }), 404, 'request-not-found', 'no-such-request');
    }
  });
});

describe('DELETE /api/status/{id}', () => {
  it('cancels a pending request: Canceled, a second DELETE is 409, a late reply is set aside', async () => {
    const operation = uniqueOperation('cancel');
    const { id } = await accepted(operation);
    await nextRequest(stack, operation);
    const cancel = await call(stack, `status/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(202);
    expect(cancel.headers.get('location')).toBe(location('status', id));
    expect(cancel.headers.get('x-correlation-id')).toBe(id);

    const canceled = await statusBecomes(stack, id, 'Canceled');
    expect(canceled.headers.get('retry-after')).toBeNull();
    expectProblem(await call(stack, `status/${id}`, { method: 'DELETE' }), 409, 'already-finished', id);
    expectProblem(await call(stack, `results/${id}`), 404, 'result-not-ready', id);

    await reply(stack, id, '"too late"');
    const [aside] = await setAside(stack, id);
    expect(aside?.metadata.reason).toBe('late');
    expect(aside?.body.toString()).toBe('"too late"');
  });
});

describe('Idempotency-Key', () => {
  it('same key and body: the same request, dispatched once, whoever asks and however often', async () => {
    const operation = uniqueOperation('idem');
    const key = `same-${operation}`;
    const headers = { 'idempotency-key': key };
    const answers = await Promise.all(Array.from({ length: 5 }, () => submit(stack, operation, '{"a":1}', { ...ASYNC, ...headers })));
    const id = await idForKey(stack, key);
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.headers.get('location')).toBe(location('status', id));
    }
    await nextRequest(stack, operation);
    await reply(stack, id, '{"once":true}');
    await statusBecomes(stack, id, 'Completed');

    // After the reply: a sync caller with the same key gets the same answer, nothing restarts.
    const again = await submit(stack, operation, '{"a":1}', headers);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ once: true });
    expect(await dispatched(stack, operation)).toHaveLength(1);
  });

  it('same key, different body: 422, and nothing new is dispatched', async () => {
    const operation = uniqueOperation('idem422');
    const headers = { 'idempotency-key': `other-${operation}` };
    const { id } = await accepted(operation, '{"a":1}', headers);
    await nextRequest(stack, operation);
    const problem = expectProblem(await submit(stack, operation, '{"a":2}', { ...ASYNC, ...headers }), 422, 'idempotency-key-reused', id);
    expect(String(problem.detail)).toContain(id);
    expect(await dispatched(stack, operation)).toHaveLength(1);
  });

  it('a sync caller reusing a pending async request gets 504 when its wait ends, and does not end the request', async () => {
    const operation = uniqueOperation('reuse');
    const headers = { 'idempotency-key': `reuse-${operation}` };
    const { id } = await accepted(operation, '{}', headers);
    const problem = expectProblem(await submit(stack, operation, '{}', { ...headers, prefer: 'wait=1' }), 504, 'sync-wait-expired', id);
    expect(String(problem.detail)).toContain('still pending');
    await statusBecomes(stack, id, 'AwaitingReply');
    await reply(stack, id, '"still wanted"');
    expect((await statusBecomes(stack, id, 'Completed')).status).toBe(303);
  });
});

describe('the async deadline', () => {
  it('ends the request: a sync caller waiting on it gets 504 reply-timed-out, status TimedOut, no result', async () => {
    const operation = uniqueOperation('deadline');
    const headers = { 'idempotency-key': `deadline-${operation}` };
    const { id } = await accepted(operation, '{}', headers);
    // A sync caller joins through the same key and waits past the async deadline.
    const joined = await submit(stack, operation, '{}', { ...headers, prefer: `wait=${ASYNC_DEADLINE_SECONDS + 10}` });
    expectProblem(joined, 504, 'reply-timed-out', id);
    const status = await statusBecomes(stack, id, 'TimedOut');
    expect(status.headers.get('retry-after')).toBeNull();
    expectProblem(await call(stack, `results/${id}`), 404, 'result-not-ready', id);

    await reply(stack, id, '"after the deadline"');
    const [aside] = await setAside(stack, id);
    expect(aside?.metadata.reason).toBe('late');
  }, 30_000);
});
