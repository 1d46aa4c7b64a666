// The lean stand-in for the Durable client's axios instance sends the same bytes and hands the SDK
// the same answers: the real SDK client, through axios and through the stand-in, against a real
// server that records every request and answers as the extension does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { HttpRequest } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanManagementCalls, readsWithoutInput, steadyKeepAlive } from '../../src/gateway/durable-clients.js';
import { LeanAxios } from '../../src/gateway/management-transport.js';
import { clientBindingData } from '../../src/host/durable/client-binding.js';

// The SDK's client class, made as its input binding makes it (not exported from the package root).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no typed export to import it from
const { DurableClient: Client } = require('durable-functions/lib/src/durableClient/DurableClient.js') as {
  DurableClient: new (data: unknown) => DurableClient;
};

interface Recorded {
  method: string | undefined;
  url: string | undefined;
  httpVersion: string;
  rawHeaders: string[];
  body: string;
}
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const recorded: Recorded[] = [];
const replies: Reply[] = [];
let server: http.Server;
let base: string;

const statusOf = (id: string, runtimeStatus: string, output: unknown = null) =>
  JSON.stringify({
    name: 'Gateway',
    instanceId: id,
    runtimeStatus,
    input: null,
    customStatus: null,
    output,
    createdTime: '2026-01-01T00:00:00Z',
    lastUpdatedTime: '2026-01-01T00:00:01Z',
  });
const json = { 'Content-Type': 'application/json; charset=utf-8' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.push({
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      });
      const reply = replies.shift() ?? { status: 599, body: 'no reply queued' };
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/durabletask`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(lean: boolean, baseUrl = base): DurableClient {
  const made = new Client(clientBindingData({ baseUrl, taskHubName: 'Hub', connectionName: 'Storage', systemKey: 'k' }));
  readsWithoutInput(steadyKeepAlive(made));
  if (lean) leanManagementCalls(made);
  return made;
}

/** What a call came to: its value, or the error's identifying parts. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await call();
    if (value instanceof Response || (typeof value === 'object' && value !== null && 'text' in value)) {
      const response = value as { status: number; headers: Headers; text(): Promise<string> };
      return { status: response.status, headers: [...response.headers.entries()], body: await response.text() };
    }
    return { value };
  } catch (error) {
    const e = error as Error & { code?: string; isAxiosError?: boolean; response?: { status: number } };
    return { name: e.name, message: e.message, code: e.code, isAxiosError: e.isAxiosError, status: e.response?.status };
  }
}

/** Every call the gateway makes, with each answer the extension can give, through one client. */
async function scenario(durable: DurableClient): Promise<{ requests: Recorded[]; outcomes: unknown[] }> {
  recorded.length = 0;
  const outcomes: unknown[] = [];
  const step = async (queued: Reply[], call: () => Promise<unknown>) => {
    replies.push(...queued);
    outcomes.push(await outcome(call));
  };
  const location = { ...json, Location: `${base}/instances/i1?taskHub=Hub` };
  await step([{ status: 202, headers: location, body: JSON.stringify({ id: 'i1', statusQueryGetUri: 'x' }) }], () =>
    durable.startNew('Gateway', { instanceId: 'i1', input: { text: 'héllo', n: 1 } }),
  );
  await step([{ status: 202, headers: location, body: JSON.stringify({ id: 'i2' }) }], () =>
    durable.startNew('Gateway', { instanceId: 'i2' }),
  );
  await step([{ status: 500, headers: { 'Content-Type': 'text/plain' }, body: 'storage unavailable' }], () =>
    durable.startNew('Gateway', { instanceId: 'i3', input: 'plain' }),
  );
  await step([{ status: 202 }], () => durable.raiseEvent('i1', 'Reply', { ok: true, text: 'ünïcode' }));
  await step([{ status: 410 }], () => durable.raiseEvent('i1', 'Reply', { ok: true }));
  await step([{ status: 404 }], () => durable.raiseEvent('nope', 'Reply', {}));
  await step([{ status: 500, body: 'boom' }], () => durable.raiseEvent('i1', 'Reply', {}));
  await step([{ status: 200, headers: json, body: statusOf('i1', 'Completed', { outcome: 'ok' }) }], () =>
    durable.getStatus('i1', { showInput: false }),
  );
  await step([{ status: 202, headers: location, body: statusOf('i1', 'Running') }], () => durable.getStatus('i1', { showInput: true }));
  await step([{ status: 404, headers: json, body: JSON.stringify({ message: 'not found' }) }], () => durable.getStatus('nope'));
  await step([{ status: 500, headers: { 'Content-Type': 'text/plain' }, body: 'internal error' }], () => durable.getStatus('i1'));
  await step([{ status: 200, headers: { ...json, 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(statusOf('i1', 'Failed')) }], () =>
    durable.getStatus('i1'),
  );
  await step([{ status: 202 }], () => durable.terminate('i1', 'cancelled by caller'));
  await step([{ status: 410 }], () => durable.terminate('i1', 'late'));
  await step([{ status: 404 }], () => durable.terminate('nope', 'x'));
  const request = new HttpRequest({ method: 'POST', url: 'http://127.0.0.1:7071/api/requests/x' });
  await step(
    [
      { status: 202, headers: location, body: statusOf('i1', 'Running') },
      { status: 200, headers: json, body: statusOf('i1', 'Completed', { outcome: 'ok', reply: { a: 1 } }) },
    ],
    () =>
      durable.waitForCompletionOrCreateCheckStatusResponse(request, 'i1', {
        timeoutInMilliseconds: 60_000,
        retryIntervalInMilliseconds: 1,
      }),
  );
  return { requests: [...recorded], outcomes };
}

describe('LeanAxios', () => {
  it('sends the same requests as axios and hands the SDK the same answers and errors', async () => {
    const lean = client(true);
    const instance = (lean as unknown as { axiosInstance: LeanAxios }).axiosInstance;
    expect(instance).toBeInstanceOf(LeanAxios);
    // Counts the calls the stand-in hands to axios: none of the SDK's should be.
    let handedOn = 0;
    const inner = instance.axios as unknown as Record<'get' | 'post' | 'delete', (...args: unknown[]) => Promise<unknown>>;
    for (const method of ['get', 'post', 'delete'] as const) {
      const original = inner[method].bind(inner);
      inner[method] = (...args: unknown[]) => {
        handedOn += 1;
        return original(...args);
      };
    }
    const viaAxios = await scenario(client(false));
    const viaLean = await scenario(lean);
    expect(handedOn).toBe(0);
    expect(viaLean.requests).toEqual(viaAxios.requests);
    expect(viaLean.outcomes).toEqual(viaAxios.outcomes);
    // The scenario is what it says: every call went out, the gateway's own rewrite included.
    expect(viaAxios.requests).toHaveLength(17);
    expect(viaAxios.requests[7]?.url).toContain('showInput=false');
    expect(JSON.stringify(viaAxios.outcomes[2])).toContain('storage unavailable');
    expect(viaAxios.outcomes[11]).toMatchObject({ value: { runtimeStatus: 'Failed' } });
  });

  it('surfaces a refused connection as axios does', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = `http://127.0.0.1:${port}/runtime/webhooks/durabletask`;
    const viaAxios = await outcome(() => client(false, nowhere).getStatus('i1'));
    const viaLean = await outcome(() => client(true, nowhere).getStatus('i1'));
    expect(viaAxios).toMatchObject({ code: 'ECONNREFUSED', isAxiosError: true });
    expect(JSON.stringify(viaAxios)).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(viaLean).toEqual(viaAxios);
  });

  it('leaves a call it does not know to axios, and a client without an axios instance as it is', async () => {
    const lean = client(true);
    const instance = (lean as unknown as { axiosInstance: LeanAxios }).axiosInstance;
    replies.push({ status: 200, headers: json, body: '{"a":1}' });
    recorded.length = 0;
    // A timeout is axios's business: the call goes through it (its config says so).
    const answer = (await instance.get(`${base}/instances/x`, { timeout: 5_000 })) as { data: unknown; config: { timeout?: number } };
    expect(answer.data).toEqual({ a: 1 });
    expect(answer.config.timeout).toBe(5_000);
    expect(recorded).toHaveLength(1);
    expect(leanManagementCalls(lean)).toBe(lean);
    expect((lean as unknown as { axiosInstance: unknown }).axiosInstance).toBe(instance);
    const plain = {};
    expect(leanManagementCalls(plain)).toEqual({});
  });
});
