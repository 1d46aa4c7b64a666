// The floor: what blocking a client on an asynchronous reply costs with nothing durable in the
// way. node:http in the bench process; a request gets an id and a pending entry, the in-process
// "backend" (the same ReplyDesk as the gateway's simulators) answers it at once, after a delay or
// on release, and the reply resolves the pending entry. Every gateway figure is set against it.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplyDesk } from './reply-desk.js';
import { replyBody, type Target } from './target.js';

export interface Floor extends Target {
  stop(): Promise<void>;
}

export async function startFloor(): Promise<Floor> {
  const desk = new ReplyDesk();
  const pending = new Map<string, (reply: Buffer) => void>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/api/requests/')) {
      res.writeHead(404).end();
      return;
    }
    // The body is read whole, as the gateway does, before the request counts as submitted.
    req.resume();
    req.on('end', () => {
      const id = randomUUID();
      pending.set(id, (reply) => {
        pending.delete(id);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length, 'x-correlation-id': id }).end(reply);
      });
      desk.receive(id, () => {
        pending.get(id)?.(replyBody(id));
        return Promise.resolve();
      });
    });
  });
  // The gateway's host keeps connections as long as this does; the clients close theirs per scenario.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: 'floor',
    submitUrl: `http://127.0.0.1:${port}/api/requests/bench`,
    desk,
    processes: [],
    settings: { server: 'node:http in the bench process, pending map of promises' },
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
