import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionsLibrary } from '../app-loader.js';
import type { Invoker } from '../invoker.js';
import type { RegisteredFunction } from '../registry.js';
import { compileRoute, type CompiledRoute } from './route-template.js';
import { readBody, BodyTooLargeError } from './read-body.js';
import { writeFunctionResponse, writeJson } from './write-response.js';
import { applyCors, type CorsSettings } from '../http-cors.js';

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

export interface HttpFrontOptions {
  host: string;
  port: number;
  routePrefix: string;
  /** The real host caps request bodies at 100 MB (`maxRequestBodySize`). */
  maxBodyBytes: number;
  functions: RegisteredFunction[];
  invoker: Invoker;
  library: FunctionsLibrary;
  mounts: Record<string, Mount>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** local.settings.json Host.CORS (see http-cors.ts). */
  cors?: CorsSettings;
}

export interface HttpFront {
  port: number;
  url: string;
  routes: { fn: RegisteredFunction; path: string; methods: string[] }[];
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

interface Route {
  fn: RegisteredFunction;
  compiled: CompiledRoute;
  methods: string[];
}

export async function startHttpFront(o: HttpFrontOptions): Promise<HttpFront> {
  const routes = o.functions.map((fn) => toRoute(fn, o.routePrefix)).sort((a, b) => b.compiled.specificity - a.compiled.specificity);
  const server = http.createServer((req, res) => {
    if (o.cors && applyCors(o.cors, req, res)) return;
    handle(o, routes, req, res).catch((err: unknown) => {
      o.log('error', `HTTP ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) writeJson(res, 500, { title: 'Host error', status: 500 });
      else res.destroy();
    });
  });
  // Clients (the durable-functions client inside the app among them) reuse idle connections; a
  // short server timeout races their reuse and surfaces as ECONNRESET under load. The real host
  // keeps them for minutes.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${o.host}:${port}`,
    routes: routes.map((r) => ({ fn: r.fn, path: '/' + r.compiled.template, methods: r.methods })),
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
  return { fn, compiled: compileRoute(template), methods: declared.map((m) => m.toUpperCase()) };
}

async function handle(o: HttpFrontOptions, routes: Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${o.host}`}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  let body: Buffer;
  try {
    body = await readBody(req, o.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      res.setHeader('Connection', 'close');
      return writeJson(res, 413, { title: 'Request body too large', status: 413, detail: err.message });
    }
    throw err;
  }
  const headers = flattenHeaders(req.headers);

  for (const [base, mount] of Object.entries(o.mounts)) {
    if (path === base || path.startsWith(base + '/')) {
      const answer = await mount({ method, url, headers, body }, path.slice(base.length + 1));
      return writeJson(res, answer.status, answer.body, answer.headers);
    }
  }

  const matched = routes.map((r) => ({ r, params: r.compiled.match(path) })).filter((m) => m.params);
  if (matched.length === 0) return writeJson(res, 404, { title: 'Not found', status: 404, detail: `No function is bound to ${path}.` });
  const hit = matched.find((m) => m.r.methods.includes(method));
  if (!hit) {
    const allow = [...new Set(matched.flatMap((m) => m.r.methods))].join(', ');
    return writeJson(res, 405, { title: 'Method not allowed', status: 405, detail: `${method} is not allowed on ${path}; use ${allow}.` }, { Allow: allow });
  }

  const request = new o.library.HttpRequest({
    method,
    url: url.href,
    headers,
    query: Object.fromEntries(url.searchParams),
    params: hit.params,
    body: { bytes: body },
  });
  const result = await o.invoker.invoke(hit.r.fn, request, {
    triggerMetadata: { Query: Object.fromEntries(url.searchParams), Headers: headers, ...hit.params },
  }).catch((err: unknown) => {
    o.log('error', `Function ${hit.r.fn.name} failed: ${(err as Error).stack ?? String(err)}`);
    return new o.library.HttpResponse({ status: 500 });
  });
  const response = result instanceof o.library.HttpResponse ? result : new o.library.HttpResponse((result ?? {}));
  await writeFunctionResponse(res, response);
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
