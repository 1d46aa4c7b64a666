// A sync call holds its Durable client while it waits: invocations share one per binding data.
import type { DurableClient } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { sharedDurableClient, steadyKeepAlive } from '../../src/gateway/durable-clients.js';

const made = (code: string) =>
  ({
    clientData: { taskHubName: 'Hub', managementUrls: { statusQueryGetUri: `http://h/instances/INSTANCEID?code=${code}` } },
  }) as unknown as DurableClient;

describe('sharedDurableClient', () => {
  it('answers the first client made from the same binding data, a new one for other data, and a client without data as it is', () => {
    const first = made('k1');
    expect(sharedDurableClient(first)).toBe(first);
    expect(sharedDurableClient(made('k1'))).toBe(first);
    const rotated = made('k2');
    expect(sharedDurableClient(rotated)).toBe(rotated);
    expect(sharedDurableClient(made('k2'))).toBe(rotated);
    const fake = {} as DurableClient;
    expect(sharedDurableClient(fake)).toBe(fake);
  });
});

describe('steadyKeepAlive', () => {
  it("gives the client's axios instance agents with axios's own keep-alive delay, and leaves a client without one as it is", () => {
    const client = { axiosInstance: { defaults: { timeout: 0 } as Record<string, unknown> } };
    expect(steadyKeepAlive(client)).toBe(client);
    const { httpAgent, httpsAgent, timeout } = client.axiosInstance.defaults as Record<
      string,
      { keepAliveMsecs?: number; keepAlive?: boolean }
    >;
    // axios sets setKeepAlive(true, 60 s) on each request's socket (lib/adapters/http.js).
    expect(httpAgent).toMatchObject({ keepAlive: true, keepAliveMsecs: 60_000 });
    expect(httpsAgent).toMatchObject({ keepAlive: true, keepAliveMsecs: 60_000 });
    expect(timeout).toBe(0);
    const plain = {};
    expect(steadyKeepAlive(plain)).toEqual({});
  });
});
