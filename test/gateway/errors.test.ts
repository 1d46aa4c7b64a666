import { HttpRequest, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { ConfigError, ensureError, GatewayError, renderProblem } from '../../src/gateway/errors.js';
import { httpEdge } from '../../src/gateway/http-edge.js';

describe('renderProblem', () => {
  it('renders a GatewayError as RFC 9457 problem+json', () => {
    const rendered = renderProblem(new GatewayError('request-not-found', 'No request abc.', { requestId: 'abc' }), {
      instance: '/api/status/abc',
    });
    expect(rendered.status).toBe(404);
    expect(rendered.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(rendered.body)).toEqual({
      type: 'urn:sync-over-async-gateway:problem:request-not-found',
      title: 'Unknown request',
      status: 404,
      detail: 'No request abc.',
      requestId: 'abc',
      instance: '/api/status/abc',
    });
  });

  it('keeps the headers an error implies', () => {
    const error = new GatewayError('method-not-allowed', 'no', { headers: { Allow: 'GET, POST' } });
    expect(renderProblem(error).headers.Allow).toBe('GET, POST');
  });

  it('hides unknown errors behind a bare 500', () => {
    const rendered = renderProblem(new Error('connect ECONNREFUSED AccountKey=s3cr3t'), { requestId: 'r1' });
    expect(rendered.status).toBe(500);
    expect(rendered.body).not.toContain('s3cr3t');
    expect(rendered.body).not.toContain('ECONNREFUSED');
    expect(rendered.problem).toMatchObject({ type: 'urn:sync-over-async-gateway:problem:internal', requestId: 'r1' });
  });

  it('names the bad setting of a ConfigError, not its value', () => {
    const rendered = renderProblem(new ConfigError('GATEWAY_SYNC_WAIT_SECONDS', 'expected an integer, got "x"'));
    expect(rendered.status).toBe(500);
    expect(rendered.problem.detail).toContain('GATEWAY_SYNC_WAIT_SECONDS');
    expect(rendered.problem.detail).not.toContain('"x"');
  });
});

describe('ensureError', () => {
  it('wraps non-errors', () => {
    const error = new Error('x');
    expect(ensureError(error)).toBe(error);
    expect(ensureError('boom').message).toContain('boom');
    expect(ensureError({ a: 1 }).message).toContain('{"a":1}');
  });
});

describe('httpEdge', () => {
  const context = () => new InvocationContext({ logHandler: () => undefined });
  // The handlers under test never touch the Durable client.
  const client = {} as DurableClient;
  const request = (method = 'GET') => new HttpRequest({ method, url: 'http://localhost:7071/api/things/1' });

  it('tags successful answers with the request id', async () => {
    const edge = httpEdge((_r, _c, _x, scope) => {
      scope.requestId = 'r-1';
      return Promise.resolve({ status: 200, body: 'ok' });
    });
    const response = await edge(request(), client, context());
    expect(response.status).toBe(200);
    expect(response.headers.get('X-Correlation-Id')).toBe('r-1');
  });

  it('renders thrown errors as problem+json, with the id once known', async () => {
    const edge = httpEdge((_r, _c, _x, scope) => {
      scope.requestId = 'r-2';
      throw new Error('secret detail');
    });
    const response = await edge(request(), client, context());
    expect(response.status).toBe(500);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
    expect(response.headers.get('X-Correlation-Id')).toBe('r-2');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ requestId: 'r-2', instance: '/api/things/1' });
    expect(JSON.stringify(body)).not.toContain('secret detail');
  });

  it('answers 405 with Allow for methods the handler does not take', async () => {
    const edge = httpEdge(() => Promise.resolve({ status: 200 }), { methods: ['GET', 'POST'] });
    const response = await edge(request('PUT'), client, context());
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, POST');
    expect(response.headers.get('X-Correlation-Id')).toBeNull();
  });
});
