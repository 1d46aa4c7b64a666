// The client against the real local stack (Azurite, the local host with the built app) over real
// HTTP, through a small real proxy that counts what the client sends and injects wire faults.
// The backend's side is played the way test/e2e plays it: request blobs in, reply blobs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callGateway,
  DeadlineExceededError,
  GatewayProblemError,
  GatewayTimeoutError,
  GatewayUnreachableError,
  type StatusResource,
} from '../../src/client/index.js';
import { dispatched, nextRequest, reply, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { startTapProxy, type TapProxy } from './tap-proxy.js';

const PROBLEM_PREFIX = 'urn:sync-over-async-gateway:problem:';

let stack: GatewayStack;
let proxy: TapProxy;

beforeAll(async () => {
  stack = await startGatewayStack();
  proxy = await startTapProxy(stack.url);
});
afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

/** An onStatus that answers the request (with `body`) the first time it is awaiting its reply. */
function replyWhenAwaiting(body: Buffer, options: { contentType: string; status?: number }) {
  const statuses: StatusResource[] = [];
  let replied = false;
  const onStatus = async (resource: StatusResource): Promise<void> => {
    statuses.push(resource);
    if (resource.status !== 'AwaitingReply' || replied) return;
    replied = true;
    await reply(stack, resource.id, body, options);
  };
  return { statuses, onStatus };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('callGateway, answered sync', () => {
  it('resolves with the backend reply: its status, content type, exact bytes and the request id', async () => {
    const operation = uniqueOperation('client-sync');
    const answering = callGateway(proxy.url, operation, { n: 1 }, { wait: 20 });
    const request = await nextRequest(stack, operation);
    expect(request.contentType).toBe('application/json');
    expect(JSON.parse(request.body.toString())).toEqual({ n: 1 });
    const csv = Buffer.from('id;name\r\n1;Ærø\r\n', 'latin1');
    await reply(stack, request.id, csv, { contentType: 'text/csv; charset=iso-8859-1', status: 201 });

    const answer = await answering;
    expect(answer).toMatchObject({
      status: 201,
      contentType: 'text/csv; charset=iso-8859-1',
      requestId: request.id,
      mode: 'sync',
      polls: 0,
    });
    expect(Buffer.from(answer.body).equals(csv)).toBe(true);
    const [submit] = proxy.requestsTo(`/api/requests/${operation}`);
    expect(submit?.headers.prefer).toBe('wait=20');
  });
  it("a backend's own 202 is its answer, not the gateway's accepted (which always has Location)", async () => {
    const operation = uniqueOperation('client-sync202');
    const answering = callGateway(proxy.url, operation, {}, { wait: 20 });
    const request = await nextRequest(stack, operation);
    await reply(stack, request.id, '{"queued":true}', { status: 202 });
    const answer = await answering;
    expect(answer).toMatchObject({ status: 202, mode: 'sync', polls: 0, requestId: request.id });
    expect(answer.json()).toEqual({ queued: true });
    expect(proxy.requestsTo(`/api/status/${request.id}`)).toHaveLength(0);
  });
});

describe('callGateway, answered async', () => {
  it('polls the status (onStatus per poll), follows the 303 and resolves with the result byte for byte', async () => {
    const operation = uniqueOperation('client-async');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const backend = replyWhenAwaiting(bytes, { contentType: 'application/octet-stream', status: 202 });
    const answer = await callGateway(proxy.url, operation, 'plain text', { respondAsync: true, onStatus: backend.onStatus });

    expect(answer).toMatchObject({ status: 202, contentType: 'application/octet-stream', mode: 'async' });
    expect(Buffer.from(answer.body).equals(bytes)).toBe(true);
    expect(backend.statuses.length).toBeGreaterThanOrEqual(1);
    expect(backend.statuses.every((s) => s.id === answer.requestId && s.operation === operation)).toBe(true);
    expect(backend.statuses.at(-1)?.status).toBe('AwaitingReply');
    // Every poll but the last reported a status; the last one was the 303, followed once.
    expect(answer.polls).toBe(backend.statuses.length + 1);
    const polls = proxy.requestsTo(`/api/status/${answer.requestId}`);
    expect(polls).toHaveLength(answer.polls);
    expect(polls.at(-1)?.status).toBe(303);
    expect(proxy.requestsTo(`/api/results/${answer.requestId}`)).toHaveLength(1);
    const [request] = await dispatched(stack, operation);
    expect(request?.contentType).toBe('text/plain; charset=utf-8');
  });

  it('an overall deadline ends the call with DeadlineExceededError', async () => {
    const error = await rejection(callGateway(proxy.url, uniqueOperation('client-deadline'), {}, { respondAsync: true, deadlineMs: 1500 }));
    expect(error).toBeInstanceOf(DeadlineExceededError);
  });

  it('abort mid-poll: rejects with AbortError and sends no further request', async () => {
    const operation = uniqueOperation('client-abort');
    const controller = new AbortController();
    let id = '';
    let sentAtAbort = -1;
    const error = await rejection(
      callGateway(
        proxy.url,
        operation,
        {},
        {
          respondAsync: true,
          signal: controller.signal,
          onStatus: (resource) => {
            id = resource.id;
            // A zero timer fires after the client has started its wait for the next poll (Retry-After: 1 s).
            setTimeout(() => {
              sentAtAbort = proxy.requestsTo(`/api/status/${id}`).length;
              controller.abort();
            }, 0);
          },
        },
      ),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(sentAtAbort).toBe(1);
    // Longer than two poll intervals: a client that kept a timer running would have polled by now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(proxy.requestsTo(`/api/status/${id}`)).toHaveLength(1);
    expect(proxy.requestsTo(`/api/results/${id}`)).toHaveLength(0);
  });

  it('a 503 with Retry-After on a poll is waited out, then polling goes on', async () => {
    const operation = uniqueOperation('client-503');
    const backend = replyWhenAwaiting(Buffer.from('"fine"'), { contentType: 'application/json' });
    proxy.once('GET', '/api/status/', { kind: 'respond', status: 503, headers: { 'retry-after': '1' } });
    const retries: string[] = [];
    const answer = await callGateway(
      proxy.url,
      operation,
      {},
      { respondAsync: true, onStatus: backend.onStatus, onRetry: (r) => retries.push(r.reason) },
    );
    expect(answer.json()).toBe('fine');
    expect(retries).toEqual(['HTTP 503']);
    const polls = proxy.requestsTo(`/api/status/${answer.requestId}`);
    expect(polls[0]?.outcome).toBe('injected');
    expect(polls.slice(1).every((p) => p.outcome === 'forwarded')).toBe(true);
  });
});

describe('callGateway, gateway problems', () => {
  it('504 (the sync wait expired) is a GatewayTimeoutError with the problem and the request id', async () => {
    const operation = uniqueOperation('client-504');
    const error = await rejection(callGateway(proxy.url, operation, {}, { wait: 1 }));
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    const [submit] = proxy.requestsTo(`/api/requests/${operation}`);
    const id = submit?.responseHeaders?.['x-correlation-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(error).toMatchObject({
      status: 504,
      code: 'sync-wait-expired',
      type: `${PROBLEM_PREFIX}sync-wait-expired`,
      title: 'Synchronous wait expired',
      requestId: id,
    });
    expect((error as GatewayTimeoutError).detail).not.toBe('');
  });

  it('a 4xx is a GatewayProblemError (not a timeout) with type, status, title, detail and the request id; it is not retried', async () => {
    const operation = uniqueOperation('client-422');
    const key = `key-${operation}`;
    const first = await fetch(stack.api(`requests/${operation}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async', 'idempotency-key': key },
      body: '{"a":1}',
    });
    expect(first.status).toBe(202);
    const error = await rejection(callGateway(proxy.url, operation, { a: 2 }, { idempotencyKey: key }));
    expect(error).toBeInstanceOf(GatewayProblemError);
    expect(error).not.toBeInstanceOf(GatewayTimeoutError);
    // The id behind a key is an HMAC under the gateway's secret: the first submit's answer names it.
    const id = first.headers.get('x-correlation-id') ?? '';
    expect(id).not.toBe('');
    expect(error).toMatchObject({
      status: 422,
      code: 'idempotency-key-reused',
      type: `${PROBLEM_PREFIX}idempotency-key-reused`,
      requestId: id,
    });
    expect((error as GatewayProblemError).detail).toContain(id);
    expect(proxy.requestsTo(`/api/requests/${operation}`)).toHaveLength(1);
  });
});

describe('callGateway, retries', () => {
  it('a submit whose answer is lost to a connection reset is retried with the same Idempotency-Key and dispatched once', async () => {
    const operation = uniqueOperation('client-reset');
    proxy.once('POST', `/api/requests/${operation}`, { kind: 'reset-after-forward' });
    const backend = replyWhenAwaiting(Buffer.from('{"once":true}'), { contentType: 'application/json' });
    const answer = await callGateway(
      proxy.url,
      operation,
      { r: 1 },
      { respondAsync: true, idempotencyKey: true, retryBackoffMs: 50, onStatus: backend.onStatus },
    );

    expect(answer.json()).toEqual({ once: true });
    const key = answer.idempotencyKey ?? '';
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const submits = proxy.requestsTo(`/api/requests/${operation}`);
    expect(submits.map((s) => [s.outcome, s.status, s.headers['idempotency-key']])).toEqual([
      ['reset', 202, key],
      ['forwarded', 202, key],
    ]);
    const requests = await dispatched(stack, operation);
    expect(requests.map((r) => r.id)).toEqual([answer.requestId]);
  });

  it('a sync answer lost to a reset: the retry with the same key gets the same reply, nothing is dispatched again', async () => {
    const operation = uniqueOperation('client-reset-sync');
    proxy.once('POST', `/api/requests/${operation}`, { kind: 'reset-after-forward' });
    const key = `sync-${operation}`;
    const answering = callGateway(proxy.url, operation, { r: 2 }, { wait: 20, idempotencyKey: key, retryBackoffMs: 50 });
    const request = await nextRequest(stack, operation);
    await reply(stack, request.id, '{"kept":true}', { status: 201 });

    const answer = await answering;
    expect(answer).toMatchObject({ status: 201, mode: 'sync', requestId: request.id, idempotencyKey: key });
    expect(answer.json()).toEqual({ kept: true });
    const submits = proxy.requestsTo(`/api/requests/${operation}`);
    expect(submits.map((s) => [s.outcome, s.status, s.headers['idempotency-key']])).toEqual([
      ['reset', 201, key],
      ['forwarded', 201, key],
    ]);
    expect((await dispatched(stack, operation)).map((r) => r.id)).toEqual([request.id]);
  });

  it('without an Idempotency-Key a reset submit is not retried (a retry could dispatch twice)', async () => {
    const operation = uniqueOperation('client-noretry');
    proxy.once('POST', `/api/requests/${operation}`, { kind: 'reset-after-forward' });
    const error = await rejection(callGateway(proxy.url, operation, {}, { respondAsync: true }));
    expect(error).toBeInstanceOf(GatewayUnreachableError);
    expect((error as Error).message).toContain('Idempotency-Key');
    expect(proxy.requestsTo(`/api/requests/${operation}`)).toHaveLength(1);
  });
});
