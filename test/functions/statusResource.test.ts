// GET/DELETE /api/status/{id} and GET /api/results/{id}.
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelRequest } from '../../src/functions/cancelRequest.js';
import { getResult } from '../../src/functions/getResult.js';
import { getStatus } from '../../src/functions/getStatus.js';
import type { GatewayRequest, ReplyEnvelope } from '../../src/gateway/contract.js';
import { FakeDurableClient } from '../gateway/fake-durable.js';
import { call, problemOf } from './http-harness.js';

const input: GatewayRequest = {
  id: 'req-1', operation: 'echo', method: 'POST', contentType: 'text/plain', body: '', bodyHash: 'h', query: {},
  replyTo: 'replies', waitMode: 'async', deadlineMs: 60_000, createdAt: '2025-01-01T00:00:00.000Z',
};
const reply: ReplyEnvelope = {
  replyId: 'r', status: 200, contentType: 'text/csv', body: Buffer.from('a,b\n1,2\n').toString('base64'), receivedAt: 'now',
};
const awaiting = { runtimeStatus: 'Running', input, customStatus: { stage: 'AwaitingReply', since: 't' } };
const replied = { runtimeStatus: 'Completed', input, output: { outcome: 'replied', reply } };

let client: FakeDurableClient;
beforeEach(() => {
  client = new FakeDurableClient();
});

const status = (id: string) => call(getStatus, client, { path: `/api/status/${id}`, params: { id } });
const cancel = (id: string) => call(cancelRequest, client, { method: 'DELETE', path: `/api/status/${id}`, params: { id } });
const result = (id: string) => call(getResult, client, { path: `/api/results/${id}`, params: { id } });

describe('GET /api/status/{id}', () => {
  it('pending: 200, Retry-After, the minimal resource only', async () => {
    client.set('req-1', awaiting);
    const response = await status('req-1');
    expect(response.status).toBe(200);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('x-correlation-id')).toBe('req-1');
    expect(await response.json()).toEqual({
      id: 'req-1', operation: 'echo', status: 'AwaitingReply', createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:01.000Z',
    });
  });

  it('replied: 303 See Other to the result', async () => {
    client.set('req-1', replied);
    const response = await status('req-1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://gateway.test:7071/api/results/req-1');
  });

  it.each([
    [{ runtimeStatus: 'Completed', output: { outcome: 'timedOut' } }, 'TimedOut'],
    [{ runtimeStatus: 'Terminated', output: 'sync wait expired' }, 'TimedOut'],
    [{ runtimeStatus: 'Terminated', output: 'canceled by caller' }, 'Canceled'],
    [{ runtimeStatus: 'Failed', output: 'x' }, 'Failed'],
  ])('final %j: 200 %s, no Retry-After', async (state, expected) => {
    client.set('req-1', { input, ...state });
    const response = await status('req-1');
    expect(response.status).toBe(200);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toMatchObject({ status: expected });
  });

  it('unknown id: 404 problem', async () => {
    const response = await status('nope');
    expect(response.status).toBe(404);
    expect((await problemOf(response)).type).toBe('urn:sync-over-async-gateway:problem:request-not-found');
  });

  it.each(['..', 'a.b', 'x'.repeat(65), '%2e%2e'])('invalid id %j: 400, never looked up', async (id) => {
    const lookups: string[] = [];
    const getStatusOrig = client.getStatus.bind(client);
    client.getStatus = (i) => (lookups.push(i), getStatusOrig(i));
    const response = await status(id);
    expect(response.status).toBe(400);
    expect(lookups).toEqual([]);
  });
});

describe('DELETE /api/status/{id}', () => {
  it('pending: terminates with the cancel reason, 202 + Location', async () => {
    client.set('req-1', awaiting);
    const response = await cancel('req-1');
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('http://gateway.test:7071/api/status/req-1');
    expect(client.terminated).toEqual([{ id: 'req-1', reason: 'canceled by caller' }]);
    expect(await (await status('req-1')).json()).toMatchObject({ status: 'Canceled' });
  });

  it('finished: 409', async () => {
    client.set('req-1', replied);
    const response = await cancel('req-1');
    expect(response.status).toBe(409);
    expect((await problemOf(response)).type).toBe('urn:sync-over-async-gateway:problem:already-finished');
    expect(client.terminated).toEqual([]);
  });

  it('unknown: 404', async () => {
    expect((await cancel('nope')).status).toBe(404);
  });
});

describe('GET /api/results/{id}', () => {
  it('replied: the reply byte for byte, with its content type and status', async () => {
    client.set('req-1', { ...replied, output: { outcome: 'replied', reply: { ...reply, status: 202 } } });
    const response = await result('req-1');
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(await response.text()).toBe('a,b\n1,2\n');
  });

  it('a 204 reply answers without a body', async () => {
    client.set('req-1', { ...replied, output: { outcome: 'replied', reply: { ...reply, status: 204, body: '' } } });
    const response = await result('req-1');
    expect(response.status).toBe(204);
  });

  it('not ready: 404 result-not-ready', async () => {
    client.set('req-1', awaiting);
    const response = await result('req-1');
    expect(response.status).toBe(404);
    expect((await problemOf(response)).type).toBe('urn:sync-over-async-gateway:problem:result-not-ready');
  });

  it('timed out: 404 result-not-ready; unknown: 404 request-not-found', async () => {
    client.set('req-1', { runtimeStatus: 'Completed', input, output: { outcome: 'timedOut' } });
    expect((await problemOf(await result('req-1'))).type).toContain('result-not-ready');
    expect((await problemOf(await result('nope'))).type).toContain('request-not-found');
  });
});
