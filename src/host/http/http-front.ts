/**
 * The host's HTTP front, in the real host's order: the request URL is built from input that is
 * checked first (`Host`, the target), then the route is matched (an unknown route or a method
 * the route doesn't take is a 404), then keys are checked when enforced (401), then the body is
 * read within its bounds (413 / 408), and only then does a function or a mount (Durable
 * webhooks, admin API) see the request. Framing Node refuses before that is answered by
 * client-errors.ts. Timeouts suit a gateway: requests arrive in seconds, responses may take
 * minutes (a response is never cut by a timer).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionsLibrary } from '../app-loader.js';
import { applyCors, type CorsSettings } from '../http-cors.js';
import type { Invoker } from '../invoker.js';
import type { RegisteredFunction } from '../registry.js';
import { type AuthRequirement, isAuthorized, presentedKey, requirementOf } from './authorize.js';
import { onClientError } from './client-errors.js';
import type { HostKeys } from './host-keys.js';
import { BodyTimeoutError, BodyTooLargeError, RequestAbortedError, readBody } from './read-body.js';
import { requestUrl } from './request-url.js';
import { type CompiledRoute, compileRoute } from './route-template.js';
import { problemBody, writeFunctionResponse, writeJson } from './write-response.js';

export interface RawCall {
  method: string;
  url: URL;
  headers: Record<string, string | undefined>;
  body: Buffer;
}
export interface RawAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
/** Handles requests below a fixed path (durable webhooks, admin API); `path` is what follows it. */
export type Mount = (call: RawCall, path: string) => Promise<RawAnswer>;
/** A mount and the key it needs when keys are enforced. */
export interface MountPoint {
  auth: AuthRequirement;
  handle: Mount;
}

export interface FrontTimeouts {
  /** All request headers must arrive within this (slowloris); default 10 s. */
  headersMs: number;
  /** The longest pause between body chunks (a body shorter than its Content-Length); default 30 s. */
  bodyIdleMs: number;
  /** The whole body must arrive within this (an endless chunked body); default 30 s. */
  bodyTotalMs: number;
}
export const DEFAULT_TIMEOUTS: FrontTimeouts = { headersMs: 10_000, bodyIdleMs: 30_000, bodyTotalMs: 30_000 };

export interface HttpFrontOptions {
  host: string;
  port: number;
  routePrefix: string;
  /** The real host caps request bodies at 100 MB (`maxRequestBodySize`). */
  maxBodyBytes: number;
  functions: RegisteredFunction[];
  invoker: Invoker;
  library: FunctionsLibrary;
  mounts: Record<string, MountPoint>;
  /** Present when keys are enforced; absent, every route is open (loopback development). */
  keys?: HostKeys;
  timeouts?: Partial<FrontTimeouts>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** local.settings.json Host.CORS (see http-cors.ts). */
  cors?: CorsSettings;
}

export interface HttpFront {
  port: number;
  url: string;
  routes: { fn: RegisteredFunction; path: string; methods: string[]; auth: AuthRequirement }[];
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

interface Route {
  fn: RegisteredFunction;
  compiled: CompiledRoute;
  methods: string[];
  auth: AuthRequirement;
}

export async function startHttpFront(o: HttpFrontOptions): Promise<HttpFront> {
  const routes = o.functions.map((fn) => toRoute(fn, o.routePrefix)).sort((a, b) => b.compiled.specificity - a.compiled.specificity);
  const t = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const server = http.createServer(
    {
      headersTimeout: t.headersMs,
      // Node's requestTimeout covers receiving the request only (not the response), so it is a
      // backstop behind the body bounds, which answer first with their own 408.
      requestTimeout: t.headersMs + t.bodyTotalMs + 1_000,
      // Node checks both timeouts on this interval (30 s by default, too coarse for 10 s bounds).
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(t.headersMs / 4))),
      // A missing Host is answered by requestUrl() as problem+json, not by Node's bare 400.
      requireHostHeader: false,
    },
    (req, res) => {
      // Preflights and CORS headers first, as the real host's CORS middleware does.
      if (o.cors && applyCors(o.cors, req, res)) return;
      handle(o, t, routes, req, res).catch((err: unknown) => {
        o.log('error', `HTTP ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent)
          writeJson(res, 500, problemBody(500, 'Host error', 'The host failed to handle the request; its log says why.'));
        else res.destroy();
      });
    },
  );
  server.on('clientError', onClientError);
  // Clients (the durable-functions client inside the app among them) reuse idle connections; a
  // short server timeout races their reuse and surfaces as ECONNRESET under load. The real host
  // keeps them for minutes.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${authority(o.host, port)}`,
    routes: routes.map((r) => ({ fn: r.fn, path: '/' + r.compiled.template, methods: r.methods, auth: r.auth })),
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function toRoute(fn: RegisteredFunction, prefix: string): Route {
  const route = typeof fn.trigger.route === 'string' && fn.trigger.route ? fn.trigger.route : fn.name;
  const template = [prefix, route.replace(/^\/+/, '')].filter(Boolean).join('/');
  const declared = Array.isArray(fn.trigger.methods) ? (fn.trigger.methods as string[]) : ['GET', 'POST'];
  return {
    fn,
    compiled: compileRoute(template),
    methods: declared.map((m) => m.toUpperCase()),
    auth: requirementOf(fn.name, fn.trigger.authLevel),
  };
}

type Target = { kind: 'mount'; mount: MountPoint; sub: string } | { kind: 'function'; route: Route; params: Record<string, string> };

async function handle(
  o: HttpFrontOptions,
  t: FrontTimeouts,
  routes: Route[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const built = requestUrl(req.url, req.headers.host, req.httpVersion, authority(o.host, req.socket.localPort ?? 0));
  if ('problem' in built) return refuse(req, res, 400, 'Bad request', built.problem);
  const { url } = built;
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const headers = flattenHeaders(req.headers);

  const target = findTarget(o, routes, method, path);
  if (!target) return refuse(req, res, 404, 'Not found', `No function is bound to ${path}.`);
  if (target === 'wrong-method') return refuse(req, res, 404);
  const auth = target.kind === 'mount' ? target.mount.auth : target.route.auth;
  if (o.keys && !isAuthorized(o.keys, auth, presentedKey(headers, url))) {
    // The real host answers a missing or wrong key with an empty 401; the log says which.
    o.log(
      'warn',
      `${method} ${path}: 401, ${presentedKey(headers, url) ? 'the key given is not' : 'no key given;'} ${describe(auth)} (x-functions-key header or ?code=).`,
    );
    return refuse(req, res, 401);
  }

  let body: Buffer;
  try {
    body = await readBody(req, { limit: o.maxBodyBytes, idleMs: t.bodyIdleMs, totalMs: t.bodyTotalMs });
  } catch (err) {
    if (err instanceof BodyTooLargeError) return refuse(req, res, 413, 'Request body too large', err.message);
    if (err instanceof BodyTimeoutError) return refuse(req, res, 408, 'Request body timed out', err.message);
    if (err instanceof RequestAbortedError) return void res.destroy();
    throw err;
  }

  if (target.kind === 'mount') {
    const answer = await target.mount.handle({ method, url, headers, body }, target.sub);
    return writeJson(res, answer.status, answer.body, answer.headers);
  }
  const { route, params } = target;
  const request = new o.library.HttpRequest({
    method,
    url: url.href,
    headers,
    query: Object.fromEntries(url.searchParams),
    params,
    body: { bytes: body },
  });
  const result = await o.invoker
    .invoke(route.fn, request, {
      triggerMetadata: { Query: Object.fromEntries(url.searchParams), Headers: headers, ...params },
    })
    .catch((err: unknown) => {
      o.log('error', `Function ${route.fn.name} failed: ${(err as Error).stack ?? String(err)}`);
      return new o.library.HttpResponse({ status: 500 });
    });
  const response = result instanceof o.library.HttpResponse ? result : new o.library.HttpResponse(result ?? {});
  await writeFunctionResponse(res, response);
}

function findTarget(o: HttpFrontOptions, routes: Route[], method: string, path: string): Target | 'wrong-method' | undefined {
  for (const [base, mount] of Object.entries(o.mounts)) {
    if (path === base || path.startsWith(base + '/')) return { kind: 'mount', mount, sub: path.slice(base.length + 1) };
  }
  const matched = routes.map((r) => ({ r, params: r.compiled.match(path) })).filter((m) => m.params);
  if (matched.length === 0) return undefined;
  const hit = matched.find((m) => m.r.methods.includes(method));
  // Azure answers a known route called with a method it doesn't take with an empty 404, not a
  // 405 (azure-functions-host #10098): the method is part of the route there.
  if (!hit) return 'wrong-method';
  return { kind: 'function', route: hit.r, params: hit.params ?? {} };
}

/** How long a refusal reads on (and drops) a body the client is still sending before it answers. */
const DRAIN_MS = 2_000;

/**
 * The host's own refusals. The body may not have been read: it is drained for up to DRAIN_MS
 * first, because a client still writing when the connection closes sees a reset, not the answer
 * (a 413 for an upload over the limit, a 404 for a POST to a wrong path). A body timeout (408)
 * is answered at once: that client is not sending. The connection closes after the answer, so
 * unread bytes can't be taken for the next request.
 */
async function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, title?: string, detail?: string): Promise<void> {
  if (!req.complete) {
    res.setHeader('Connection', 'close');
    if (status !== 408) await drain(req);
    else req.resume();
  }
  if (res.destroyed) return;
  writeJson(res, status, title ? problemBody(status, title, detail ?? title) : '');
}

/** Reads and drops the rest of the body until it ends, the client goes, or DRAIN_MS pass. */
function drain(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_MS);
    req.on('end', done);
    req.on('close', done);
    req.on('error', done);
    req.resume();
  });
}

function describe(auth: AuthRequirement): string {
  switch (auth.level) {
    case 'function':
      return `${auth.functionName} needs a function key or the master key`;
    case 'admin':
      return 'this route needs the master key';
    case 'system':
      return `this route needs the ${auth.keyName} system key or the master key`;
    default:
      return 'no key needed';
  }
}

/** `host:port`, with an IPv6 address in brackets. */
function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
