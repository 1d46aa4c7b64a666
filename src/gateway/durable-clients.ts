// How the gateway's Durable clients make their management calls. Every client's calls go through
// keep-alive agents that don't reset the socket each call, skip the redirect layer and axios itself
// (the same requests sent by management-transport.ts), and its status reads leave the input out
// unless they ask for it. (One client per binding data, which these are applied to:
// client-functions.ts.)
import http from 'node:http';
import https from 'node:https';
import { isAxiosInstance, LeanAxios } from './management-transport.js';

// The SDK's axios instance goes through Node's global agent, whose keep-alive delay (1 s) differs
// from the one axios sets on each request's socket (60 s): every call switched the socket's
// keep-alive back and forth, 8 `setsockopt` calls per management call (~48 per request under
// load). Agents whose delay is axios's make both settings the same, which Node then skips. Same
// pooling otherwise as Node's global agents (lifo, 5 s idle timeout).
const AXIOS_KEEP_ALIVE_MS = 60_000;
const agentOptions = { keepAlive: true, keepAliveMsecs: AXIOS_KEEP_ALIVE_MS, scheduling: 'lifo', timeout: 5_000 } as const;
// `maxRedirects: 0` makes axios call Node's http directly instead of through follow-redirects,
// which wraps every request in a RedirectableRequest of its own (about 90 µs of the ~440 µs a
// management call costs the client, measured over loopback). Nothing is lost: the extension's
// HttpApiHandler answers these routes with 2xx, 4xx and 5xx only (a running instance's status is a
// 202 with Location, which is not a redirect), and the SDK's validateStatus (< 600) would hand a
// 3xx back as an answer either way.
const callDefaults = { httpAgent: new http.Agent(agentOptions), httpsAgent: new https.Agent(agentOptions), maxRedirects: 0 };

/**
 * Points the client's HTTP calls at the steady keep-alive agents, without the redirect layer; a
 * client without an axios instance is left as it is.
 */
export function steadyKeepAlive<T extends object>(client: T): T {
  // Not in the SDK's types: the instance every one of its management calls goes through.
  const defaults: unknown = (client as { axiosInstance?: { defaults?: unknown } }).axiosInstance?.defaults;
  if (typeof defaults === 'object' && defaults !== null) Object.assign(defaults, callDefaults);
  return client;
}

/**
 * Sends the client's management calls without axios's machinery (management-transport.ts): the
 * same requests, a third of the client's CPU per call. Its defaults and interceptors stay the
 * instance's, so this may come before or after the other tunings; a client without an axios
 * instance (another SDK version, a test's fake) is left as it is.
 */
export function leanManagementCalls<T extends object>(client: T): T {
  const holder = client as { axiosInstance?: unknown };
  if (isAxiosInstance(holder.axiosInstance) && !(holder.axiosInstance instanceof LeanAxios)) {
    holder.axiosInstance = new LeanAxios(holder.axiosInstance);
  }
  return client;
}

// The SDK never sends `showInput=false` where its calls go on Azure: on the local RPC endpoint
// (`rpcBaseUrl`, which the extension gives every out-of-process worker) it adds the parameter only
// `if (options.showInput)`, so a read asking for no input gets it anyway, the extension's default
// being true; and its wait helper's own reads pass no options at all. On Azure a large input is a
// blob download on every such read. So the gateway's clients read one instance's status without
// the input unless `showInput=true` is in the URL (`inspectWithInput` asks for it).
const SINGLE_STATUS = /\/instances\/[^/?]+$/;
const prepared = new WeakSet<object>();

interface RequestConfig {
  method?: string;
  url?: string;
}
interface InterceptorOptions {
  synchronous: boolean;
  runWhen: (config: RequestConfig) => boolean;
}
interface AxiosLike {
  interceptors?: {
    request?: { use(onRequest: (config: RequestConfig) => RequestConfig, onError: undefined, options: InterceptorOptions): unknown };
  };
}

// Only a GET can be a status read. The rewrite is synchronous: axios runs a chain of synchronous
// interceptors in line, where one it must assume async puts every call (POSTs too) through a
// promise chain of its own.
const REWRITE_OPTIONS: InterceptorOptions = { synchronous: true, runWhen: (config) => config.method?.toLowerCase() === 'get' };

/** The URL a status read goes to, with `showInput=false` unless it says otherwise. */
export function withoutInputUnlessAsked(method: string | undefined, url: string): string {
  if (method?.toLowerCase() !== 'get') return url;
  const parsed = new URL(url);
  if (!SINGLE_STATUS.test(parsed.pathname) || parsed.searchParams.has('showInput')) return url;
  parsed.searchParams.set('showInput', 'false');
  return parsed.href;
}

/** Makes the client's status reads leave the input out unless asked (once per client); a client without an axios instance is left as it is. */
export function readsWithoutInput<T extends object>(client: T): T {
  if (prepared.has(client)) return client;
  prepared.add(client);
  const requests = (client as { axiosInstance?: AxiosLike }).axiosInstance?.interceptors?.request;
  requests?.use(
    (config) => (typeof config.url === 'string' ? { ...config, url: withoutInputUnlessAsked(config.method, config.url) } : config),
    undefined,
    REWRITE_OPTIONS,
  );
  return client;
}
