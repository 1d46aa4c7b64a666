// How the gateway's Durable clients make their management calls: steady keep-alive, no redirect
// layer, status reads without the input unless asked.
import { describe, expect, it } from 'vitest';
import { readsWithoutInput, steadyKeepAlive, withoutInputUnlessAsked } from '../../src/gateway/durable-clients.js';

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
    // No follow-redirects layer: the management API never redirects.
    expect(client.axiosInstance.defaults.maxRedirects).toBe(0);
    expect(timeout).toBe(0);
    const plain = {};
    expect(steadyKeepAlive(plain)).toEqual({});
  });
});

describe('readsWithoutInput', () => {
  const base = 'http://127.0.0.1:7071/runtime/webhooks/durabletask';
  it('asks a status read for no input unless it asks for the input; other calls go as they are', () => {
    expect(withoutInputUnlessAsked('get', `${base}/instances/abc`)).toBe(`${base}/instances/abc?showInput=false`);
    expect(withoutInputUnlessAsked('GET', `${base}/instances/abc?taskHub=H`)).toBe(`${base}/instances/abc?taskHub=H&showInput=false`);
    expect(withoutInputUnlessAsked('get', `${base}/instances/abc?showInput=true`)).toBe(`${base}/instances/abc?showInput=true`);
    // A listing, a raise, a start: not a read of one instance's status.
    expect(withoutInputUnlessAsked('get', `${base}/instances?runtimeStatus=Running`)).toBe(`${base}/instances?runtimeStatus=Running`);
    expect(withoutInputUnlessAsked('post', `${base}/instances/abc/raiseEvent/Reply`)).toBe(`${base}/instances/abc/raiseEvent/Reply`);
    expect(withoutInputUnlessAsked('post', `${base}/instances/abc`)).toBe(`${base}/instances/abc`);
  });

  it('adds its rewrite to the client once, however many invocations prepare it', () => {
    type Config = { method?: string; url?: string };
    type Options = { synchronous?: boolean; runWhen?: (config: Config) => boolean };
    const used: Array<{ f: (config: Config) => Config; options?: Options }> = [];
    const use = (f: (config: Config) => Config, _onError?: unknown, options?: Options) => used.push({ f, ...(options ? { options } : {}) });
    const client = { axiosInstance: { interceptors: { request: { use } } } };
    readsWithoutInput(client);
    readsWithoutInput(client);
    expect(used).toHaveLength(1);
    expect(used[0]?.f({ method: 'get', url: `${base}/instances/x` }).url).toBe(`${base}/instances/x?showInput=false`);
    // Synchronous, and only for GETs (axios has lower-cased the method by then), so no call waits on a promise chain for it.
    expect(used[0]?.options?.synchronous).toBe(true);
    expect(used[0]?.options?.runWhen?.({ method: 'get' })).toBe(true);
    expect(used[0]?.options?.runWhen?.({ method: 'post' })).toBe(false);
    expect(readsWithoutInput({})).toEqual({});
  });
});
