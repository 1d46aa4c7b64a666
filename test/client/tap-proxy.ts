// A small real HTTP proxy in front of the gateway, for what only the wire shows: which requests
// the client sent (counted per path, with their headers), and faults the gateway never makes on
// its own: a TCP reset after the gateway answered (the answer is lost on the way back), or an
// injected 503 + Retry-After (an overloaded front end). Each fault applies once, to the first
// request that matches it; every other request is forwarded untouched.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** What the proxy did with it. */
  outcome: 'forwarded' | 'reset' | 'injected';
  /** The gateway's status (forwarded or reset after forwarding) or the injected one. */
  status?: number;
  responseHeaders?: IncomingHttpHeaders;
}

export type Fault = { kind: 'reset-after-forward' } | { kind: 'respond'; status: number; headers: Record<string, string> };

export interface TapProxy {
  url: string;
  seen: SeenRequest[];
  /** The requests whose path starts with `prefix`. */
  requestsTo(prefix: string): SeenRequest[];
  /** Applies `fault` to the next request whose method and path match. */
  once(method: string, pathPrefix: string, fault: Fault): void;
  stop(): Promise<void>;
}

interface PendingFault {
  method: string;
  pathPrefix: string;
  fault: Fault;
}

export async function startTapProxy(upstream: string): Promise<TapProxy> {
  const target = new URL(upstream);
  const seen: SeenRequest[] = [];
  const faults: PendingFault[] = [];
  const sockets = new Set<Socket>();
  const agent = new http.Agent({ keepAlive: false });

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const entry: SeenRequest = { method: req.method ?? 'GET', path, headers: req.headers, outcome: 'forwarded' };
    seen.push(entry);
    const index = faults.findIndex((f) => f.method === entry.method && path.startsWith(f.pathPrefix));
    const fault = index < 0 ? undefined : faults.splice(index, 1)[0]?.fault;
    if (fault?.kind === 'respond') {
      entry.outcome = 'injected';
      entry.status = fault.status;
      req.resume();
      res.writeHead(fault.status, fault.headers).end();
      return;
    }
    // Host is passed through, so the gateway's Location headers point back at the proxy.
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: req.headers, agent },
      (upstreamRes) => {
        entry.status = upstreamRes.statusCode;
        entry.responseHeaders = upstreamRes.headers;
        if (fault?.kind === 'reset-after-forward') {
          // The gateway has answered (and acted); the caller only sees its connection reset.
          entry.outcome = 'reset';
          upstreamRes.resume();
          upstreamRes.once('end', () => req.socket.resetAndDestroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    requestsTo: (prefix) => seen.filter((r) => r.path.startsWith(prefix)),
    once: (method, pathPrefix, fault) => faults.push({ method, pathPrefix, fault }),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
